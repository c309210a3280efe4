"""Programme kinds as plug-ins: the registry and the hooks a kind may fill in.

The kernel and the capabilities (grants, workflows, finance, letters, rules) never
branch on a programme's kind. They ask the kind's hooks instead; a kind module
(``navigation``, ``agencies`` for service vouchers) registers its own in its
``AppConfig.ready()``, and the certification subsidy and a general grant use the
default hooks below. A hook runs inside the transaction of the action that calls it,
so raising a domain error refuses the action (for instance a final approval).

Adding a programme kind: add its value to ``ProgramKind``, write a module with the
hooks it needs, and register them in its app's ``ready()``. README: "Adding a
programme kind".

Steps by configuration: a programme of any kind that runs no steps of its own may switch
on the steps of ``Program.steps`` (expert review, public notice, milestones). The app that
runs them registers a *steps overlay* (``register_steps``): for such a programme
``hooks_for`` returns the kind's hooks with the overlay's on top (its final approval goes
to the steps instead of the award, its letters, its visibility), so the lifecycle and the
letters treat it like navigation's own steps without anyone naming a kind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from grants.models import Application, Program, ProgramKind, User

# Blocks and links are template contexts, each kind's own shape: dict[str, Any].
# ``letter`` is a ``letters.models.Letter``: the kernel sits below letters and cannot name it.


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


def _award_now(application: Application, actor: User | None, level: str) -> bool:
    return True


def _no_flags(application: Application) -> list[dict[str, str]]:
    return []


def _no_context(letter: Any) -> dict[str, Any]:
    return {}


def _no_links(user: User) -> list[dict[str, Any]]:
    return []


def _no_errors(settings: Any) -> list[dict[str, str]]:
    return []


@dataclass(frozen=True)
class KindHooks:
    """What a programme kind adds to the shared lifecycle. Every hook has a harmless default."""

    # Submission (in its transaction, before the rules run): a guard or preparation of the
    # kind's own records; raise a domain error to refuse the submission.
    on_submit: Callable[[Application], None] = _nothing
    # The review chain ended with ``outcome`` ("approved", "returned", "rejected"), in the
    # decision's transaction and before anything else happens (a voucher's hold is released).
    on_review_end: Callable[[Application, str, User | None], None] = _nothing
    # The applicant withdraws the application (``workflows.lifecycle.withdraw``), in its
    # transaction, before the status moves: undo what the kind holds for it (a voucher claim's
    # voucher is void as after a rejection); raise a domain error to refuse the withdrawal.
    on_withdraw: Callable[[Application, User | None], None] = _nothing
    # The chain's last level approved: True when the award follows now (budget commitment,
    # then the award epilogue); False when the kind takes the application on to steps of its
    # own (navigation: experts, notice, sign-off). Raise to refuse the approval.
    on_final_approval: Callable[[Application, User | None, str], bool] = _award_now
    # The award follows: how its money is settled. None: committed from the programme's
    # budget now (or queued on merit, 择优). Steps with milestones plan it in tranches instead.
    # True when settled, False when the award waits in the merit queue.
    settle_award: Callable[[Application, User | None], bool] | None = None
    # Applications a user sees because of the kind's own records (a partner, a drawn expert),
    # given the organisations the user acts for (a list, or a subquery: both work with __in).
    visibility: Callable[[User, Any], Q | None] = _nothing
    # Web: the kind's block on the applicant's portal home, its panel on an application page,
    # its block in the reviewer's inbox. Each returns None or a block: a dict whose
    # ``template`` the page includes with the dict as ``block``.
    portal_home: Callable[[User], dict[str, Any] | None] = _nothing
    # Web: links on the home page for this user (expert reviews, rankings …), and where a
    # programme of this kind is applied for when not through the claim form ({url, label, note}).
    home_links: Callable[[User], list[dict[str, Any]]] = _no_links
    apply_link: Callable[[Program], dict[str, str] | None] = _nothing
    portal_panel: Callable[[Application, User], dict[str, Any] | None] = _nothing
    inbox_block: Callable[[User], dict[str, Any] | None] = _nothing
    # What reviewers should look at twice (never shown to the applicant or in letters).
    review_flags: Callable[[Application], list[dict[str, str]]] = _no_flags
    # Facts the kind adds to the rule engine's dictionary (None: the documented defaults).
    rule_facts: Callable[[Application, dt.date], dict[str, Any] | None] = _nothing
    # Letters: the award letter's template, extra letter kinds with the guard that says when
    # one may be issued, and what the kind adds to a letter's context.
    award_template: str = "general"
    letter_kinds: Mapping[str, Callable[[Application], bool]] = field(default_factory=dict)
    letter_context: Callable[[Any], dict[str, Any]] = _no_context
    # Application fields the kind's own records write; the applicant's form cannot change them.
    derived_fields: tuple[str, ...] = ()
    # The programme definition (``programs``): a kind that runs steps of its own keeps their
    # settings in its own records and gives them in the definition's ``steps`` shape
    # (``steps_read``, None: the programme's ``Program.steps``), and takes them back
    # (``steps_write``); settings only the kind has (a voucher's terms) are its
    # ``kind_settings``, read, checked (errors with paths inside it) and written here.
    steps_read: Callable[[Program], dict[str, Any]] | None = None
    steps_write: Callable[[Program, dict[str, Any]], None] | None = None
    settings_read: Callable[[Program], dict[str, Any] | None] = _nothing
    settings_errors: Callable[[Any], list[dict[str, str]]] = _no_errors
    settings_write: Callable[[Program, dict[str, Any] | None], None] = _nothing

    @property
    def runs_own_steps(self) -> bool:
        return self.steps_read is not None


DEFAULT = KindHooks()

_registry: dict[str, KindHooks] = {}


@dataclass
class _Steps:
    """The steps switched on by configuration (``register_steps``): the overlay for a
    programme that has some, and the steps' hooks about a user (an expert's visibility, links)."""

    overlay: Callable[[Program, KindHooks], KindHooks] | None = None
    user_hooks: KindHooks | None = None


_steps = _Steps()


def register(kind: str, hooks: KindHooks) -> None:
    """Register ``hooks`` for a programme kind (once, from the kind's ``AppConfig.ready()``)."""
    if kind not in ProgramKind.values:
        raise ValueError(f"unknown programme kind {kind!r}")
    _registry[kind] = hooks


def register_defaults() -> None:
    """The certification subsidy and a general grant need nothing beyond the shared lifecycle
    but their award letter's template (letters: ``certification``, the generic ``general``)."""
    _registry.setdefault(ProgramKind.CERTIFICATION, KindHooks(award_template="certification"))
    _registry.setdefault(ProgramKind.GENERAL, DEFAULT)


def register_steps(
    overlay: Callable[[Program, KindHooks], KindHooks], user_hooks: KindHooks | None = None
) -> None:
    """Register how a programme with steps switched on (``Program.steps``) runs them: the
    ``overlay`` turns the kind's hooks into those of the programme; ``user_hooks`` are the
    steps' hooks about a user (visibility, portal and inbox blocks, links)."""
    _steps.overlay = overlay
    _steps.user_hooks = user_hooks


def hooks_for(program: Program | str) -> KindHooks:
    kind = program if isinstance(program, str) else program.kind
    hooks = _registry.get(kind, DEFAULT)
    overlay = _steps.overlay
    if (
        overlay is not None
        and isinstance(program, Program)
        and program.has_steps
        and not hooks.runs_own_steps
    ):
        return overlay(program, hooks)
    return hooks


def all_hooks() -> Iterator[KindHooks]:
    """Each registered kind's hooks once (for hooks that are about a user, not a programme),
    then those of the configured steps."""
    seen: set[int] = set()
    for hooks in [*_registry.values(), _steps.user_hooks]:
        if hooks is not None and id(hooks) not in seen:
            seen.add(id(hooks))
            yield hooks


def visibility_conditions(user: User, organizations: Any) -> Q:
    """The OR of every kind's extra visibility for ``user`` acting for ``organizations``
    (an empty Q when none)."""
    condition = Q()
    for hooks in all_hooks():
        extra = hooks.visibility(user, organizations)
        if extra is not None:
            condition |= extra
    return condition


def portal_blocks(user: User) -> list[dict[str, Any]]:
    """Every kind's block for ``user``'s portal home (those with something to show)."""
    return [b for hooks in all_hooks() if (b := hooks.portal_home(user))]


def inbox_blocks(user: User) -> list[dict[str, Any]]:
    """Every kind's block for ``user``'s review inbox (those with something to show)."""
    return [b for hooks in all_hooks() if (b := hooks.inbox_block(user))]


def home_links(user: User) -> list[dict[str, Any]]:
    links: list[dict[str, Any]] = []
    for hooks in all_hooks():
        links.extend(hooks.home_links(user))
    return links


def derived_fields(program: Program) -> tuple[str, ...]:
    return hooks_for(program).derived_fields
