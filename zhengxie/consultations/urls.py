from django.urls import path

from zhengxie.consultations import views

app_name = "consultations"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
