"""The study admin's page for encrypted forms: the public key to put in the XLSForm, making or
uploading a key, and decrypting the interviews phones encrypted. Each view: access helper,
form, service or selector."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from fieldwork.accounts.permissions import Perm, study_for
from fieldwork.core.web import add_service_error, render_page, study_context
from fieldwork.openrosa import keys
from fieldwork.openrosa.odk_crypto import public_key_fingerprint
from fieldwork.openrosa.services import submission_apply_decrypted

#: How many waiting submissions the page lists (the count is always complete).
AWAITING_SHOWN = 100

# --- Forms ------------------------------------------------------------------------------------


def _secret(label, *, help_text="", required=True):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class _NewPassphraseForm(forms.Form):
    passphrase = _secret(gettext_lazy("Passphrase"))
    passphrase_again = _secret(gettext_lazy("Passphrase again"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["passphrase"].help_text = _(
            "At least %(min)s characters. Fieldwork never stores it: without it nobody, you "
            "included, can decrypt the interviews. Keep it somewhere safe, away from the phones."
        ) % {"min": keys.PASSPHRASE_MIN_LENGTH}

    def clean(self):
        data = super().clean()
        first, second = data.get("passphrase"), data.get("passphrase_again")
        if first is not None and second is not None and first != second:
            self.add_error("passphrase_again", _("The two passphrases differ."))
        return data


class GenerateForm(_NewPassphraseForm):
    prefix = "generate"


class UploadForm(_NewPassphraseForm):
    prefix = "upload"
    key_file = forms.FileField(
        label=gettext_lazy("Private key (.pem file)"),
        error_messages={"required": gettext_lazy("Choose the .pem file of the private key.")},
    )
    key_file_password = _secret(
        gettext_lazy("Key file password"),
        help_text=gettext_lazy("Only if the .pem file is protected by a password."),
        required=False,
    )
    field_order = ["key_file", "key_file_password", "passphrase", "passphrase_again"]


class DecryptForm(forms.Form):
    prefix = "decrypt"
    passphrase = _secret(gettext_lazy("Passphrase"))


# --- Views ------------------------------------------------------------------------------------


def _page(request, study, **forms_and_results):
    current = keys.study_form_key_current(study=study)
    awaiting = keys.versions_awaiting_decryption(study=study)
    ctx = study_context(
        request,
        study,
        current=current,
        fingerprint=public_key_fingerprint(current.public_key) if current else "",
        retired=[k for k in keys.study_form_keys(study=study) if not k.is_current],
        awaiting_count=awaiting.count(),
        awaiting=list(awaiting[:AWAITING_SHOWN]),
        generate_form=forms_and_results.pop("generate_form", None) or GenerateForm(),
        upload_form=forms_and_results.pop("upload_form", None) or UploadForm(),
        decrypt_form=forms_and_results.pop("decrypt_form", None) or DecryptForm(),
        **forms_and_results,
    )
    return render_page(request, "openrosa/keys.html", ctx)


@login_required
@require_GET
def form_keys_view(request, slug):
    study = study_for(request.user, slug, need=Perm.FORM_KEY_MANAGE)
    return _page(request, study)


@sensitive_post_parameters("generate-passphrase", "generate-passphrase_again")
@login_required
@require_POST
def form_key_generate_view(request, slug):
    study = study_for(request.user, slug, need=Perm.FORM_KEY_MANAGE)
    form = GenerateForm(request.POST)
    if form.is_valid():
        try:
            keys.study_form_key_generate(
                study=study, by=request.user, passphrase=form.cleaned_data["passphrase"]
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "A new key was made. Put its public key in the settings sheet of your "
                    "XLSForms and upload them again."
                ),
            )
            return redirect("formkeys:key-list", slug=study.slug)
    return _page(request, study, generate_form=form)


@sensitive_post_parameters(
    "upload-passphrase", "upload-passphrase_again", "upload-key_file_password"
)
@login_required
@require_POST
def form_key_upload_view(request, slug):
    study = study_for(request.user, slug, need=Perm.FORM_KEY_MANAGE)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        # One byte past the limit is enough for the service to refuse a file too large.
        pem = form.cleaned_data["key_file"].read(keys.MAX_KEY_FILE_BYTES + 1)
        try:
            keys.study_form_key_import(
                study=study,
                by=request.user,
                pem=pem,
                pem_password=form.cleaned_data["key_file_password"] or None,
                passphrase=form.cleaned_data["passphrase"],
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request,
                _(
                    "The key was uploaded and is now the study's key. Check that your XLSForms "
                    "carry its public key."
                ),
            )
            return redirect("formkeys:key-list", slug=study.slug)
    return _page(request, study, upload_form=form)


@sensitive_post_parameters("decrypt-passphrase")
@login_required
@require_POST
def submissions_decrypt_view(request, slug):
    study = study_for(request.user, slug, need=Perm.FORM_KEY_MANAGE)
    form = DecryptForm(request.POST)
    summary = None
    if form.is_valid():
        try:
            summary = keys.submissions_decrypt(
                study=study,
                by=request.user,
                passphrase=form.cleaned_data["passphrase"],
                apply=submission_apply_decrypted,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            form = DecryptForm()  # the passphrase is never sent back to the browser
    return _page(
        request,
        study,
        decrypt_form=form,
        summary=summary,
        summary_text=keys.summary_text(summary) if summary else "",
    )
