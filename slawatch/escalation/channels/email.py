"""Email: plain text + HTML through Django's email backend (EmailMultiAlternatives).

The message builders are pure; `send` maps SMTP failures to transient (4xx replies,
connection trouble) or permanent (5xx replies, refused recipients).
"""

from __future__ import annotations

import smtplib
from html import escape

from django.core.mail import EmailMultiAlternatives

from slawatch.escalation.channels import STAGE_TITLE, PermanentError, TransientError
from slawatch.escalation.channels.slack import _duration

HEADER = "X-Slawatch-Escalation-Id"


def _lines(f: dict) -> list[tuple[str, str]]:
    return [("Lead", f"{f['lead_name']}" + (f" ({f['lead_company']})" if f["lead_company"] else "")),
            ("Owner", f["owner_name"]), ("Heat", f["heat"]), ("Source", f["source"]),
            ("Milestone", f["milestone"]),
            ("Waiting", f"{_duration(f['waiting_minutes'])} (SLA {_duration(f['sla_minutes'])})"),
            ("Due", f["due_at"])]


def _links(f: dict) -> list[tuple[str, str]]:
    links = []
    if f.get("lead_url"):
        links.append(("Open in CRM", f["lead_url"]))
    if f.get("admin_url"):
        links.append(("Open in slawatch (acknowledge, reassign)", f["admin_url"]))
    return links


def _text_block(f: dict) -> str:
    rows = [f"{label}: {value}" for label, value in _lines(f)]
    rows += [f"{label}: {url}" for label, url in _links(f)]
    return "\n".join(rows)


def _html_block(f: dict) -> str:
    rows = "".join(f"<tr><th align='left'>{escape(k)}</th><td>{escape(str(v))}</td></tr>"
                   for k, v in _lines(f))
    links = " · ".join(f"<a href='{escape(url)}'>{escape(label)}</a>" for label, url in _links(f))
    return f"<table>{rows}</table><p>{links}</p>"


def message(f: dict) -> tuple[str, str, str]:
    """(subject, text, html) for one escalation."""
    title = STAGE_TITLE[f["stage"]]
    subject = f"[slawatch] {title}: {f['lead_name']} ({f['heat']})"
    text = f"{title}\n\n{_text_block(f)}\n"
    html = f"<h2>{escape(title)}</h2>{_html_block(f)}"
    return subject[:200], text, html


def digest_message(d: dict) -> tuple[str, str, str]:
    subject = f"[slawatch] {d['title']}"
    parts = [f"{STAGE_TITLE[item['stage']]}\n{_text_block(item)}" for item in d["items"]]
    html_parts = [f"<h3>{escape(STAGE_TITLE[i['stage']])}</h3>{_html_block(i)}" for i in d["items"]]
    if d["more"]:
        parts.append(f"... and {d['more']} more")
        html_parts.append(f"<p>and {d['more']} more</p>")
    return subject, "\n\n".join(parts) + "\n", f"<h2>{escape(subject)}</h2>" + "".join(html_parts)


def send(to: str, subject: str, text: str, html: str, escalation_id: int, from_email=None) -> None:
    mail = EmailMultiAlternatives(subject, text, from_email, [to],
                                  headers={HEADER: str(escalation_id)})
    mail.attach_alternative(html, "text/html")
    try:
        mail.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"recipient refused: {exc.recipients}") from None
    except smtplib.SMTPResponseException as exc:
        error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"[:300]
        if 400 <= exc.smtp_code < 500:
            raise TransientError(error, status_code=exc.smtp_code) from None
        raise PermanentError(error, status_code=exc.smtp_code) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"SMTP unreachable: {exc}") from None
