from newsletter.forms import SignupForm


def signup_form(request):
    """Give every page the newsletter sign-up form, remembering which page it is on."""
    return {"newsletter_form": SignupForm(initial={"source": request.path}, auto_id="nl-%s")}
