from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from newsletter import services, tokens
from newsletter.forms import SignupForm
from newsletter.ratelimit import client_ip, signup_allowed


def link_problem(request, error):
    """Answer a bad, expired or used link with a page that says what to do next."""
    if isinstance(error, tokens.ExpiredToken):
        problem, status = "expired", 410
    elif isinstance(error, tokens.UsedToken):
        problem, status = "used", 410
    else:
        problem, status = "invalid", 400
    return render(
        request,
        "newsletter/link_problem.html",
        {"problem": problem, "form": SignupForm(), "valid_days": confirmation_days()},
        status=status,
    )


def confirmation_days():
    return settings.NEWSLETTER_CONFIRMATION_MAX_AGE // 86400


def from_this_site(request):
    """Return whether a POST comes from this site's own pages, by what the browser says.

    Browsers label every request with Sec-Fetch-Site, and a POST with Origin: a forged
    cross-site submission cannot hide where it comes from. A client that sends neither
    is not a browser, so it cannot be a victim's browser made to post.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in {"same-origin", "none"}
    own = f"{request.scheme}://{request.get_host()}"
    trusted = {own, *settings.CSRF_TRUSTED_ORIGINS}
    if (origin := request.headers.get("Origin")) is not None:
        return origin in trusted
    if referer := request.headers.get("Referer"):
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}" in trusted
    return True


# The sign-up form sits on every page, and pages are cached whole and shared by every
# reader, so it carries no per-reader CSRF token: the browser's own headers protect it.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def signup(request):
    if request.method == "POST" and not from_this_site(request):
        return import_string(settings.CSRF_FAILURE_VIEW)(request, reason="cross-site sign-up")
    if request.method == "GET":
        form = SignupForm(initial={"source": request.GET.get("source", request.path)})
        return render(request, "newsletter/signup.html", {"form": form})

    if not signup_allowed(request):
        window = settings.NEWSLETTER_SIGNUP_RATE_LIMIT[1]
        response = render(
            request, "newsletter/rate_limited.html", {"wait_minutes": -(-window // 60)}, status=429
        )
        response["Retry-After"] = str(window)
        return response
    form = SignupForm(request.POST)
    if not form.is_valid():
        return render(request, "newsletter/signup.html", {"form": form}, status=400)
    if not form.is_bot():
        services.subscribe(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            source_url=form.cleaned_data["source"],
            ip_address=client_ip(request),
        )
    # The same answer whatever the address's state: nothing to learn about who subscribes.
    return redirect("newsletter:check_inbox")


def check_inbox(request):
    return render(request, "newsletter/check_inbox.html", {"valid_days": confirmation_days()})


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET shows a button (mail scanners follow links); only the POST confirms."""
    try:
        if request.method == "POST":
            services.confirm(token=token)
            return redirect("newsletter:welcome")
        subscriber = services.pending_subscriber_for(token)
    except tokens.InvalidToken as error:
        return link_problem(request, error)
    return render(request, "newsletter/confirm.html", {"subscriber": subscriber})


def welcome(request):
    return render(request, "newsletter/welcome.html")


@csrf_exempt  # the token authenticates; RFC 8058 one-click POSTs carry no cookie or CSRF token
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    try:
        if request.method == "POST":
            subscriber = services.unsubscribe(token=token)
            return render(request, "newsletter/unsubscribed.html", {"subscriber": subscriber})
        subscriber = services.subscriber_for_unsubscribe(token)
    except tokens.InvalidToken as error:
        return link_problem(request, error)
    return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
