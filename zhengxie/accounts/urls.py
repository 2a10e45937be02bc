from django.urls import path

from zhengxie.accounts import views
from zhengxie.accounts.twofactor import views as twofactor

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("otp/", twofactor.verify, name="otp_verify"),
    path("otp/setup/", twofactor.setup, name="otp_setup"),
    path("otp/codes/", twofactor.codes, name="otp_codes"),
    path("logout/", views.logout_view, name="logout"),
    path("audit/", views.audit_list, name="audit"),
    path("password/", views.password_change, name="password_change"),
]
