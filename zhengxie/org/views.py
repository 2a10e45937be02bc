from django.http import HttpResponse


def member_list(request):  # placeholder replaced below
    return HttpResponse("")


def member_detail(request, member_id):
    return HttpResponse("")
