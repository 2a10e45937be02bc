from django.http import HttpResponse


def proposal_docx(request, proposal_id):  # placeholder: the documents work replaces this file
    return HttpResponse("")


def reply_docx(request, proposal_id, reply_id):
    return HttpResponse("")


def ledger_xlsx(request):
    return HttpResponse("")
