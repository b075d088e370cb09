"""Vietnamese names, addresses and phone numbers for the demo data (frequencies roughly those of the Mekong delta).

Everything here draws from a ``random.Random`` passed in, so a seed gives the same names on every run.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from datetime import date, timedelta
from itertools import accumulate

from members.models import Gender

FAMILY = dict(
    Nguyễn=31, Trần=10, Lê=9, Phạm=6, Huỳnh=6, Võ=6, Phan=4, Trương=2.5, Hồ=2, Đặng=2, Bùi=1.5, Đỗ=1.5, Ngô=1.5,
    Dương=1.5, Lý=1, Đinh=1, Lâm=1, Đoàn=1, Châu=0.8, Mai=0.8, Cao=0.8, Lương=0.7, Tô=0.5, Thái=0.5, Hà=0.5,
    La=0.4, Quách=0.3, Vương=0.3, Tạ=0.3, Thạch=0.3, Danh=0.2, Kiều=0.2,
)  # fmt: skip
MIDDLE_MALE = dict(Văn=45, Minh=8, Hữu=8, Thanh=7, Quốc=6, Tấn=5, Công=5, Đức=4, Hoàng=3, Ngọc=3, Phước=3,
                   Trung=2, Thành=2)  # fmt: skip
MIDDLE_FEMALE = dict(Thị=55, Ngọc=8, Thanh=6, Kim=6, Hồng=4, Thu=4, Mỹ=4, Bích=3, Phương=3, Minh=3, Tuyết=2,
                     Diễm=2)  # fmt: skip
GIVEN_MALE = (
    "An Bình Cường Dũng Dương Đạt Hải Hậu Hiếu Hòa Hùng Huy Khang Khánh Kiệt Lâm Lộc Long Luân Minh Nam Nghĩa Nhân "
    "Phát Phong Phúc Phước Quang Sang Sơn Tài Tâm Tân Thắng Thành Thiện Thịnh Toàn Trí Trung Tuấn Tùng Việt Vinh "
    "Vũ Bảo Hưng Lợi Mạnh Tú Hiển Nhựt Tỷ Em"
).split()
GIVEN_FEMALE = (
    "Anh Ánh Bích Châu Diễm Dung Duyên Giang Hà Hạnh Hằng Hiền Hoa Hồng Hương Hường Lan Liên Linh Loan Mai Muội My "
    "Nga Ngân Ngọc Nhi Nhung Oanh Phương Phượng Quyên Thảo Thanh Thu Thủy Thúy Tiên Trang Trinh Tuyền Uyên Vân Vy "
    "Xuân Yến Huệ Lệ Cúc Đào"
).split()
HAMLET_NAMES = (
    "Bình Hòa,Bình Thạnh,Tân Hòa,Mỹ Lợi,Long Thạnh,Phước Lợi,Hòa Bình,Chợ,Mới,Bình An,Thạnh Hiệp,Tân Long,"
    "Rạch Chanh,Cầu Xây,Gò Đen,Bàu Sen,Kinh Mới,Tân Thuận,Bình Tây,Bình Đông,Phú Xuân,Mỹ Thuận,Vàm,Xóm Bưng,"
    "Long Hòa,Thạnh Phú,Hậu Thạnh,An Hòa,Nhơn Hòa,Cầu Ngang"
).split(",")
STREET_KINDS = ("Số", "Số", "Số", "Nhà")
OTHER_NOTES = (
    "Hướng dẫn cài đặt Zalo cho người cao tuổi",
    "Hướng dẫn xem camera an ninh trên điện thoại",
    "Hỗ trợ đăng ký khám bệnh trực tuyến",
    "Hướng dẫn tra cứu điểm thi của con",
)
# Mobile prefixes with rough market shares (Viettel, VinaPhone, MobiFone …), all in members.validators.
PHONE_PREFIXES = dict(
    [(p, 6) for p in ("096", "097", "098", "086", "032", "033", "034", "035", "036", "037", "038", "039")]
    + [(p, 4) for p in ("091", "094", "081", "082", "083", "084", "085", "088")]
    + [(p, 3) for p in ("090", "093", "089", "070", "076", "077", "078", "079")]
    + [(p, 1) for p in ("092", "056", "058", "099", "059")]
)


class Picker:
    """``rng.choices`` with precomputed cumulative weights (the fast path of ``random.choices``)."""

    def __init__(self, weights: dict):
        self.values = list(weights)
        self.cum = list(accumulate(weights.values()))
        self.total = self.cum[-1]

    def one(self, rng: random.Random):
        return self.values[bisect_right(self.cum, rng.random() * self.total, 0, len(self.cum) - 1)]

    def many(self, rng: random.Random, k: int) -> list:
        return rng.choices(self.values, cum_weights=self.cum, k=k)


FAMILY_PICK = Picker(FAMILY)
MIDDLE_PICK = {Gender.MALE: Picker(MIDDLE_MALE), Gender.FEMALE: Picker(MIDDLE_FEMALE)}
GIVEN = {Gender.MALE: GIVEN_MALE, Gender.FEMALE: GIVEN_FEMALE}
PHONE_PICK = Picker(PHONE_PREFIXES)


def person_name(rng: random.Random, gender: str) -> str:
    return f"{FAMILY_PICK.one(rng)} {MIDDLE_PICK[gender].one(rng)} {rng.choice(GIVEN[gender])}"


def mobile_phone(rng: random.Random) -> str:
    return f"{PHONE_PICK.one(rng)}{rng.randrange(10_000_000):07d}"


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))
