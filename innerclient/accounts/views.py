from django.contrib.auth import views as auth_views

from innerclient.accounts.forms import SignInForm
from innerclient.accounts.lockout import lockout_username, minutes_left
from innerclient.accounts.services import signin_failure_record


class SignInView(auth_views.LoginView):
    """Django's sign-in page; the failed attempts that axes counted go on record.

    An attempt refused because the account is already locked out from this address is not
    counted again (axes leaves ``axes_failures_since_start`` unset), and axes' middleware
    replaces its page with the lockout page (``lockout.lockout_response``).
    """

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        request = self.request
        failures = getattr(request, "axes_failures_since_start", None)
        if failures is not None:
            username = form.data.get("username", "")
            address = request.axes_ip_address or ""
            locked = bool(request.axes_locked_out)
            signin_failure_record(
                username=username,
                address=address,
                failures=failures,
                locked=locked,
                minutes=minutes_left(lockout_username(username), address) if locked else 0,
            )
        return super().form_invalid(form)
