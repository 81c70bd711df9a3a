"""The login service's own pages: sign in, your account, and the audit record. Plain HTML from
Jinja templates (every value escaped), no script."""

from urllib.parse import parse_qs

from jinja2 import DictLoader, Environment, select_autoescape

from bookshop_access.policy import Person
from bookshop_access.store import AuditEntry

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }} · Bookshop Dagster</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #222; }
form.box { max-width: 22rem; display: grid; gap: .6rem; }
input, select, button { font: inherit; padding: .4rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; }
.said { color: #a40; } nav a { margin-right: 1rem; }
</style></head>
<body><nav><a href="/">Dagster</a><a href="/audit">Audit record</a><a href="/account">Your account</a></nav>
<h1>{{ title }}</h1>{% block body %}{% endblock %}</body></html>"""
LOGIN = """{% extends "layout" %}{% block body %}
{% if said %}<p class="said" role="alert">{{ said }}</p>{% endif %}
<form class="box" method="post" action="/login">
<input type="hidden" name="next" value="{{ next }}">
<label>Name <input name="name" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>{% endblock %}"""
ACCOUNT = """{% extends "layout" %}{% block body %}
<p>Signed in as <strong>{{ person.name }}</strong>, {{ person.role }}{% if person.role == "operator" %} of
{{ "every location" if "*" in person.locations else person.locations | join(", ") }}{% endif %}.</p>
{% if said %}<p class="said" role="status">{{ said }}</p>{% endif %}
<h2>Change your password</h2>
<form class="box" method="post" action="/account/password">
<label>Current password <input name="current" type="password" autocomplete="current-password" required></label>
<label>New password <input name="new" type="password" autocomplete="new-password" minlength="12" required></label>
<label>New password again
<input name="again" type="password" autocomplete="new-password" minlength="12" required></label>
<button type="submit">Change password</button></form>
<h2>Sign out</h2><form method="post" action="/logout"><button type="submit">Sign out</button></form>
{% endblock %}"""
AUDIT = """{% extends "layout" %}{% block body %}
<form method="get" action="/audit">
<label>Person <input name="person" value="{{ filters.person }}"></label>
<label>Location <input name="location" value="{{ filters.location }}"></label>
<label>Action <input name="action" value="{{ filters.action }}"></label>
<button type="submit">Filter</button> <a href="/audit">All</a></form>
<table><thead><tr><th>When (UTC)</th><th>Who</th><th>Via</th><th>Location</th><th>Action</th><th>On what</th>
<th>Outcome</th><th>Detail</th></tr></thead><tbody>
{% for entry in entries %}<tr><td>{{ entry.at.strftime("%Y-%m-%d %H:%M:%S") }}</td><td>{{ entry.person }}</td>
<td>{{ entry.via }}</td><td>{{ entry.location }}</td><td>{{ entry.action }}</td><td>{{ entry.target }}</td>
<td>{{ entry.outcome }}</td><td>{{ entry.detail }}</td></tr>
{% else %}<tr><td colspan="8">Nothing recorded{% if filters.values() | select | list %} for this filter{% endif %}.
</td></tr>{% endfor %}
</tbody></table>{% endblock %}"""

templates = Environment(
    loader=DictLoader({"layout": LAYOUT, "login": LOGIN, "account": ACCOUNT, "audit": AUDIT}),
    autoescape=select_autoescape(default=True),
)


def login(next_page: str, said: str) -> str:
    return templates.get_template("login").render(title="Sign in", next=next_page, said=said)


def account(person: Person, said: str) -> str:
    return templates.get_template("account").render(title="Your account", person=person, said=said)


def audit(entries: list[AuditEntry], filters: dict[str, str]) -> str:
    return templates.get_template("audit").render(title="Audit record", entries=entries, filters=filters)


def form(raw: bytes) -> dict[str, str]:
    """A POSTed form (application/x-www-form-urlencoded), one value per field; {} for anything else."""
    try:
        fields = parse_qs(raw.decode(), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {name: values[0] for name, values in fields.items()}
