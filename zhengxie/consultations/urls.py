from django.urls import path

from zhengxie.consultations import views

app_name = "consultations"

urlpatterns = [
    path("", views.consultation_list, name="list"),
    path("new/", views.consultation_create, name="create"),
    path("<int:pk>/", views.consultation_detail, name="detail"),
    path("<int:pk>/edit/", views.consultation_edit, name="edit"),
    path("<int:pk>/act/<str:action>/", views.consultation_act, name="act"),
    path("<int:pk>/outcomes/<int:outcome_id>/<str:action>/", views.outcome_act, name="outcome_act"),
    path("outcomes/", views.unit_outcomes, name="unit_outcomes"),
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/act/<str:action>/", views.plan_act, name="plan_act"),
    path("cases/", views.cases, name="cases"),
    path("cases/export.docx", views.cases_docx, name="cases_docx"),
]
