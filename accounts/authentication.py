"""API token authentication: the token, its user and the user's roles in one prepared statement.

Nearly every API request needs the user's scope (``areas.scoping``) right after it is authenticated. DRF's own
class reads the token and user in one ORM query and the scope needs a second; here one statement, prepared once
per database session, reads all three (``cnscd.db``), which took a third of the database work and most of the
Python work out of a single visit POST.

A token lives ``settings.API_TOKEN_TTL`` (30 days unless set) from its ``created``: each login at the token
endpoint issues a new one, and an expired one is refused (401, "log in again") and deleted. A password change,
a deactivation and ``POST /api/v1/auth/logout/`` delete the user's token (``accounts.models.User.save``).
"""

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token

from accounts.models import User
from areas import scoping
from cnscd.db import columns, execute_prepared, instances

_SEPARATOR = " "  # role codes hold no spaces, area paths only digits and slashes


def _statement() -> str:
    return f"""
        SELECT {columns(Token, "t")}, {columns(User, "u")},
               ARRAY(SELECT r.role || '{_SEPARATOR}' || a.path FROM accounts_roleassignment r
                     JOIN areas_area a ON a.id = r.area_id WHERE r.user_id = u.id)
        FROM authtoken_token t JOIN accounts_user u ON u.id = t.user_id
        WHERE t.key = $1::varchar
    """


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        with connection.cursor() as cursor:
            execute_prepared(cursor, "cnscd_token_user_roles", _statement, [key], reads_only=True)
            row = cursor.fetchone()
        if row is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        token, user = instances(row[:-1], Token, User)
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token.created + settings.API_TOKEN_TTL <= timezone.now():
            Token.objects.filter(pk=token.pk).delete()
            raise exceptions.AuthenticationFailed(_("This token has expired: log in again."))
        token.user = user
        user.__dict__[scoping.ROLE_PATHS_CACHE] = [tuple(pair.split(_SEPARATOR, 1)) for pair in row[-1]]
        return user, token
