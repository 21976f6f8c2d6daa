from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from ims.access import get_object_for_user
from nonconformities.models import Nonconformity


@login_required
def register(request):
    ncs = Nonconformity.objects.for_user(request.user).select_related("unit")[:100]
    return render(request, "nonconformities/register.html", {"ncs": ncs})


@login_required
def detail(request, pk):
    nc = get_object_for_user(Nonconformity, request.user, pk=pk)
    return render(request, "nonconformities/detail.html", {"nc": nc})
