from django.http import HttpResponse


def proposal_list(request):  # placeholder: the pages work replaces this file
    return HttpResponse("")


proposal_create = proposal_detail = proposal_act = proposal_list
