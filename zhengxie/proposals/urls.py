from django.urls import path

from zhengxie.proposals import attachment_views, export_views, views

app_name = "proposals"
urlpatterns = [
    # Pages (views.py: owned by the pages work)
    path("", views.proposal_list, name="list"),
    path("new/", views.proposal_create, name="create"),
    path("<int:proposal_id>/", views.proposal_detail, name="detail"),
    path("<int:proposal_id>/act/<str:action>/", views.proposal_act, name="act"),
    path("<int:proposal_id>/to-opinion/", views.proposal_to_opinion, name="to_opinion"),
    # Documents (export_views.py: owned by the documents work)
    path("<int:proposal_id>/export.docx", export_views.proposal_docx, name="export_docx"),
    path("<int:proposal_id>/reply-<int:reply_id>.docx", export_views.reply_docx, name="reply_docx"),
    path("ledger.xlsx", export_views.ledger_xlsx, name="ledger_xlsx"),
    # Attachments (attachment_views.py)
    path("<int:proposal_id>/attachments/", attachment_views.attachment_upload, name="attachment_upload"),
    path(
        "<int:proposal_id>/attachments/<int:attachment_id>/",
        attachment_views.attachment_download,
        name="attachment_download",
    ),
    path(
        "<int:proposal_id>/attachments/<int:attachment_id>/delete/",
        attachment_views.attachment_delete,
        name="attachment_delete",
    ),
]
