"""The activity catalogue of docs/SPEC.md §1, as data: provinces add to it in the admin without a release."""

from django.db import migrations

CATALOGUE = [
    # code, Vietnamese, English, household flag it proves
    ("dvctt_account", "Tạo tài khoản Dịch vụ công trực tuyến", "Online public-service account created", "has_dvctt_account"),
    ("dvctt_application", "Nộp hồ sơ dịch vụ công trực tuyến", "Online application submitted", ""),
    ("cashless_account", "Mở tài khoản thanh toán điện tử", "Cashless payment account opened", "has_cashless"),
    ("cashless_payment", "Hướng dẫn thanh toán không dùng tiền mặt", "Guided through a cashless payment", ""),
    ("vneid_activation", "Kích hoạt tài khoản định danh điện tử VNeID mức 2", "Level-2 VNeID account activated", "has_vneid"),
    ("ecommerce", "Đăng ký sàn thương mại điện tử (Voso, Postmart…)", "Registered on an e-commerce platform", ""),
    ("health_app", "Cài ứng dụng sức khỏe (Sổ sức khỏe điện tử, VssID)", "Health app installed", ""),
    ("cybersafety", "Kỹ năng an toàn thông tin mạng", "Online safety skills taught", ""),
    ("local_platform", "Nền tảng số địa phương", "Local citizen app installed", ""),
    ("zalo_group", "Tham gia nhóm Zalo của thôn/tổ", "Added to the community Zalo group", ""),
    ("other", "Nội dung khác", "Other", ""),
]


def load(apps, schema_editor):
    ActivityType = apps.get_model("households", "ActivityType")
    for order, (code, name_vi, name_en, flag) in enumerate(CATALOGUE, start=1):
        ActivityType.objects.update_or_create(
            code=code, defaults={"name_vi": name_vi, "name_en": name_en, "order": order * 10, "household_flag": flag}
        )


def unload(apps, schema_editor):
    apps.get_model("households", "ActivityType").objects.filter(code__in=[c[0] for c in CATALOGUE]).delete()


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
