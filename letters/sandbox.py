"""Letter templates that arrive through the admin or the API run in a sandbox.

A template an administrator writes is checked before it is stored (``template_problems``)
and every stored template is compiled by the sandbox engine (``compiled``), never by the
site's own template engine:

- it may extend only the official base layout (``letters/_document.html``, GB/T 9704, or the
  older ``letters/_base.html``); the engine's loader knows those trusted files and nothing
  else, so no other file of the server can be read;
- ``{% load %}``, ``{% include %}``, ``{% debug %}``, ``{% url %}``, ``{% csrf_token %}``,
  ``{% autoescape %}`` and every tag not in ``ALLOWED_TAGS`` are refused, naming the line;
  the letters' own filters (``cn_date``, ``sentence``) are built in, so nothing is loaded;
- a variable starts at a name of the letter's context (``CONTEXT_NAMES``) or one the
  template binds (``{% for f in facts %}``, ``{% with %}``), and never reaches past that
  data: no ``_private`` name, no method of a string, list or dictionary (``fields.items``,
  ``title.upper``); filters are limited to ``ALLOWED_FILTERS`` (no ``safe``: applicant text
  stays escaped);
- the context is plain data (dictionaries, lists, strings, numbers), built by
  ``letters.services.letter_context``;
- network and file fetches are refused when the PDF is drawn (``letters.pdf.StaticOnlyFetcher``:
  only our static files, fonts and the QR code of a verification code).

A problem is ``{"field": ..., "message": "第 3 行：…", "line": 3}``; the caller names the field.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template import Context, Engine, Template, TemplateSyntaxError
from django.template.base import FilterExpression, Lexer, Node, TokenType, Variable
from django.template.defaulttags import ForNode, WithNode
from django.utils.translation import gettext as _

# The trusted base layouts a letter template may extend (and that they include).
BASES = ("letters/_document.html", "letters/_base.html")
TRUSTED_FILES = (*BASES, "letters/_foot.html")

ALLOWED_TAGS = {
    "extends",
    "block",
    "endblock",
    "if",
    "elif",
    "else",
    "endif",
    "for",
    "empty",
    "endfor",
    "with",
    "endwith",
    "comment",
    "endcomment",
    "spaceless",
    "endspaceless",
    "firstof",
    "now",
    "filter",
    "endfilter",
    "verbatim",
    "endverbatim",
    "templatetag",
    "ifchanged",
    "endifchanged",
    "cycle",
    "resetcycle",
    "widthratio",
}
ALLOWED_FILTERS = {
    "add",
    "capfirst",
    "center",
    "cn_date",
    "cut",
    "date",
    "default",
    "default_if_none",
    "divisibleby",
    "escape",
    "first",
    "floatformat",
    "force_escape",
    "get_digit",
    "join",
    "last",
    "length",
    "linebreaks",
    "linebreaksbr",
    "ljust",
    "lower",
    "pluralize",
    "rjust",
    "sentence",
    "slice",
    "stringformat",
    "striptags",
    "time",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "wordcount",
    "wordwrap",
    "yesno",
}
# What ``letters.services.letter_context`` gives a template (and a kind's or a step's own
# additions: ``project``, ``contract``): the only names a template may start a variable at.
CONTEXT_NAMES = {
    "amount_capitals",
    "amount_figures",
    "amounts",
    "application",
    "approvals",
    "authority",
    "checks",
    "code",
    "contract",
    "copy_to",
    "facts",
    "fields",
    "issued_date",
    "issuer",
    "level_labels",
    "number",
    "organization",
    "program",
    "project",
    "qr_src",
    "qr_svg",
    "reconsideration",
    "refusal",
    "regulation",
    "title",
    "url_pt",
    "verify_base",
    "verify_url",
    "version",
}
# Names reachable on plain data that are methods or attributes, not data: refused.
_METHODS = {
    name
    for kind in (str, dict, list, tuple, int, float, Decimal, bool, set)
    for name in dir(kind)
    if not name.startswith("_")
}


@cache
def _sources() -> dict[str, str]:
    base = Path(settings.BASE_DIR) / "templates"
    return {name: (base / name).read_text(encoding="utf-8") for name in TRUSTED_FILES}


def _engine(debug: bool) -> Engine:
    return Engine(
        loaders=[("django.template.loaders.locmem.Loader", _sources())],
        libraries={"letters_text": "letters.templatetags.letters_text"},
        builtins=["letters.templatetags.letters_text"],
        debug=debug,
        autoescape=True,
        string_if_invalid="",
    )


@cache
def engine() -> Engine:
    """The sandbox engine that renders every stored letter template."""
    return _engine(debug=False)


@cache
def _checking_engine() -> Engine:
    return _engine(debug=True)


_compiled: dict[str, Template] = {}


def compiled(body: str) -> Template:
    """A stored template compiled by the sandbox engine (once per body and process)."""
    template = _compiled.get(body)
    if template is None:
        template = _compiled[body] = engine().from_string(body)
    return template


def render(body: str, context: dict[str, Any]) -> str:
    """A stored template rendered with the letter's context (plain data, autoescaped)."""
    return compiled(body).render(Context(context, autoescape=True))


def _problem(line: int | None, message: str) -> dict[str, Any]:
    text = _("line %(n)d: %(m)s") % {"n": line, "m": message} if line else message
    return {"message": text, "line": line}


def _nodes(nodelist: Any) -> Iterator[Node]:
    for node in nodelist or []:
        yield node
        for name in getattr(node, "child_nodelists", ()):
            yield from _nodes(getattr(node, name, None))
        if hasattr(node, "conditions_nodelists"):
            for _condition, nested in node.conditions_nodelists:
                yield from _nodes(nested)


def _expressions(value: Any, depth: int = 0) -> Iterator[FilterExpression]:
    """Every filter expression held by a node's attributes (conditions, sequences, with)."""
    if depth > 6:
        return
    if isinstance(value, FilterExpression):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _expressions(item, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _expressions(item, depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, Node | type):
        # an ``{% if %}`` condition: operators hold their operands, literals their expression
        for name in ("value", "first", "second"):
            if hasattr(value, name):
                yield from _expressions(getattr(value, name), depth + 1)


def _node_expressions(node: Node) -> Iterator[FilterExpression]:
    for name, value in vars(node).items():
        if name in ("token", "origin", "nodelist") or name.startswith("nodelist"):
            continue
        if name == "conditions_nodelists":
            for condition, _nested in value:
                yield from _expressions(condition)
            continue
        yield from _expressions(value)


def _bound_names(nodes: list[Node]) -> set[str]:
    names = {"forloop", "block"}
    for node in nodes:
        if isinstance(node, ForNode):
            names.update(node.loopvars)
        elif isinstance(node, WithNode):
            names.update(node.extra_context)
    return names


def _expression_problem(expression: FilterExpression, known: set[str]) -> str | None:
    for func, _args in expression.filters:
        name = getattr(func, "_filter_name", getattr(func, "__name__", "?"))
        if name not in ALLOWED_FILTERS:
            return _("the filter “%(f)s” is not allowed in a letter") % {"f": name}
    for _func, args in expression.filters:
        for is_variable, argument in args:
            if is_variable and isinstance(argument, Variable):
                problem = _variable_problem(argument, known)
                if problem:
                    return problem
    if isinstance(expression.var, Variable):
        return _variable_problem(expression.var, known)
    return None


def _variable_problem(variable: Variable, known: set[str]) -> str | None:
    lookups = variable.lookups
    if not lookups:
        return None  # a literal
    if lookups[0] not in known:
        return _("“%(v)s” is not part of the letter's data") % {"v": variable.var}
    for part in lookups[1:]:
        if part.startswith("_") or part in _METHODS:
            return _("“%(v)s” reaches beyond the letter's data") % {"v": variable.var}
    return None


def template_problems(body: str) -> list[dict[str, Any]]:
    """Why a letter template may not be stored (each problem names its line), or []."""
    if not isinstance(body, str) or not body.strip():
        return [_problem(None, _("The template is empty."))]
    problems: list[dict[str, Any]] = []
    for token in Lexer(body).tokenize():
        if token.token_type != TokenType.BLOCK:
            continue
        bits = token.split_contents()
        tag = bits[0] if bits else ""
        if tag not in ALLOWED_TAGS:
            problems.append(
                _problem(
                    token.lineno,
                    _("the tag {%% %(t)s %%} is not allowed in a letter template") % {"t": tag},
                )
            )
        elif tag == "extends" and (len(bits) != 2 or bits[1].strip("'\"") not in BASES):
            problems.append(
                _problem(
                    token.lineno,
                    _("a letter extends only the official layout “letters/_document.html”"),
                )
            )
    if problems:
        return problems
    try:
        template = _checking_engine().from_string(body)
    except TemplateSyntaxError as exc:
        info = getattr(exc, "template_debug", None) or {}
        return [_problem(info.get("line"), str(exc))]
    except Exception as exc:  # any other failure to compile is a problem of the template
        return [_problem(None, str(exc))]
    nodes = list(_nodes(template.nodelist))
    known = CONTEXT_NAMES | _bound_names(nodes)
    for node in nodes:
        for expression in _node_expressions(node):
            problem = _expression_problem(expression, known)
            if problem:
                node_token = getattr(node, "token", None)
                problems.append(_problem(getattr(node_token, "lineno", None), problem))
    return problems
