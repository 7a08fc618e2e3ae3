from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from books.visitors import VISITOR_COOKIE_MAX_AGE, issue_visitor_cookie
from privacy.services import forget_visitor


@require_safe
def notice(request: HttpRequest) -> HttpResponse:
    """The privacy notice, with the "Forget me" button and what pressing it did."""
    context = {
        "cookie_days": VISITOR_COOKIE_MAX_AGE // (24 * 60 * 60),
        "forgotten": request.GET.get("forgotten"),
    }
    return render(request, "privacy/notice.html", context)


# POST only (CSRF protected): a link, a prefetch or a crawler's GET must never erase anything.
@require_POST
def forget(request: HttpRequest) -> HttpResponse:
    """Forget the visitor and give the browser a new id, then show the notice again (PRG)."""
    if request.visitor_id is None:
        # No valid cookie came: nothing is tied to this browser; the middleware issues an id.
        return redirect(f"{reverse('privacy:notice')}?forgotten=0")
    forget_visitor(visitor_id=request.visitor_id)
    response = redirect(f"{reverse('privacy:notice')}?forgotten=1")
    issue_visitor_cookie(response=response)
    return response
