"""Loading guardrail policy files: shipped packs (``builtin:NAME``), files and folders.

Policy files hold ``guardrail`` blocks only and may read only ``self``: they are shared
across stacks and must not depend on any one stack's variables.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from importlib import resources
from pathlib import Path

from infercost.config.compile import compile_policy
from infercost.config.loader import display_path, parse_files, read_text
from infercost.errors import InfercostError, did_you_mean
from infercost.model import Guardrail

BUILTIN = "builtin:"


def builtin_packs() -> dict[str, str]:
    """Pack name -> text of every shipped pack."""
    folder = resources.files("infercost").joinpath("policies")
    if not folder.is_dir():
        return {}
    return {
        entry.name.removesuffix(".hcl"): entry.read_text(encoding="utf-8")
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".hcl")
    }


def load_policies(
    specs: Iterable[str],
    relative_to: Path | None = None,
    at_ref: str | None = None,
    sources: MutableMapping[str, str] | None = None,
) -> list[Guardrail]:
    """Guardrails of every policy spec, in order; a pack named twice is loaded once.

    ``relative_to`` is the directory of the stack whose ``policies`` setting names the
    specs: such paths must stay inside the stack's repository (or directory, outside
    git), because a pull request can edit that setting. Specs from the command line
    (no ``relative_to``) may point anywhere. With ``at_ref``, files inside the git
    repository are read as committed at that ref (the base of a change), so a pull
    request that loosens a policy shows it. Each text read is kept in ``sources`` when
    given, for the source lines of diagnostics.
    """
    out: list[Guardrail] = []
    seen: set[str] = set()
    for spec in specs:
        for source, text in _texts(spec, relative_to, at_ref):
            if source in seen:
                continue
            seen.add(source)
            if sources is not None:
                sources[source] = text
            files = parse_files({source: text}, root="policy")
            out.extend(compile_policy(files, source).values())
    return out


def _texts(spec: str, relative_to: Path | None, at_ref: str | None = None) -> list[tuple[str, str]]:
    if spec.startswith(BUILTIN):
        name = spec.removeprefix(BUILTIN)
        packs = builtin_packs()
        if name not in packs:
            raise InfercostError.at(
                "Unknown policy pack",
                f'There is no shipped pack "{name}". Packs: {", ".join(packs) or "none"}.'
                + did_you_mean(name, packs),
            )
        return [(spec, packs[name])]
    path = Path(spec)
    if relative_to is not None:
        from infercost.files import confine, stack_roots

        if not path.is_absolute():
            path = relative_to / path
        confine(path, stack_roots(relative_to), "policy named in the stack's settings")
    if at_ref is not None:
        from infercost.vcs import read_hcl_at

        committed = read_hcl_at(path, at_ref)
        if committed is not None:
            return list(committed.items())  # absent at the ref: no policy on the base
    if path.is_dir():
        files = sorted(path.glob("*.hcl"))
        if not files:
            raise InfercostError.at(
                "Empty policy folder", f"{display_path(path)} holds no .hcl files."
            )
        return [(display_path(f), read_text(f)) for f in files]
    if not path.exists():
        raise InfercostError.at("Policy not found", f"{display_path(path)} does not exist.")
    return [(display_path(path), read_text(path))]
