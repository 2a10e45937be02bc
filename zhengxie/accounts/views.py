from django.http import HttpResponse


def home(request):
    return HttpResponse("")


login_view = logout_view = audit_list = home
