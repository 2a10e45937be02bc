from django.urls import path

from zhengxie.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("audit/", views.audit_list, name="audit"),
    path("password/", views.password_change, name="password_change"),
]
