from django.http import HttpResponse


def roster_import(request):  # replaced by the roster helper
    return HttpResponse("")
