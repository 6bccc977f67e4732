"""Demo only: the ``gcloud`` revocation steps the GCP connector prints, carried out on an
emulated :class:`Estate` as IAM and resource manager would carry them out, so the next scan
sees the estate as it would be after a customer ran them (``partner-nhi demo``).

A step naming something the estate does not hold fails (``ValueError``), as gcloud would: the
demo never reports a revocation it did not make.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from partner_nhi.connectors.demo_commands import Command, parse_command, route
from partner_nhi.connectors.gcp.emulator.estate import Account, Binding, Estate, Key, Provider
from partner_nhi.contract import RevocationStep

Handler = Callable[[Estate, Command, tuple[str, ...]], None]


def carry_out(estate: Estate, steps: Iterable[RevocationStep]) -> None:
    for step in steps:
        command = parse_command(step.argv, flags={"disabled"})
        handler, positional = route(command, _ROUTES)
        handler(estate, command, positional)


def _account(estate: Estate, email: str, project: str) -> Account:
    found = estate.account(email)
    if found is None or found[0].id != project:
        raise ValueError(f"service account {email} does not exist in project {project}")
    return found[1]


def _key(estate: Estate, command: Command, positional: tuple[str, ...]) -> tuple[Account, Key]:
    [key_id] = positional
    account = _account(estate, command.option("iam-account"), command.option("project"))
    key = next((key for key in account.keys if key.id == key_id), None)
    if key is None:
        raise ValueError(f"key {key_id} of {command.option('iam-account')} does not exist")
    return account, key


def _disable_key(estate: Estate, command: Command, positional: tuple[str, ...]) -> None:
    _key(estate, command, positional)[1].disabled = True


def _delete_key(estate: Estate, command: Command, positional: tuple[str, ...]) -> None:
    account, key = _key(estate, command, positional)
    account.keys.remove(key)


def _disable_account(estate: Estate, command: Command, positional: tuple[str, ...]) -> None:
    [email] = positional
    _account(estate, email, command.option("project")).disabled = True


def _remove_binding(kind: str) -> Handler:
    """``remove-iam-policy-binding`` on a project, folder or organisation: the member leaves the
    binding of exactly this role and condition (a binding left without members goes)."""

    def remove(estate: Estate, command: Command, positional: tuple[str, ...]) -> None:
        [name] = positional
        resource = f"{kind}/{name}"
        member, role = command.option("member"), command.option("role")
        condition = _condition(command.option("condition"))
        bindings = estate.bindings_of(resource) or []
        binding = next((b for b in bindings if _holds(b, member, role, condition)), None)
        if binding is None:
            raise ValueError(f"no binding of {member} to {role} with that condition on {resource}")
        binding.members.remove(member)
        if not binding.members:
            bindings.remove(binding)

    return remove


def _holds(binding: Binding, member: str, role: str, condition: dict[str, str] | None) -> bool:
    return binding.role == role and member in binding.members and (binding.condition or None) == condition


def _condition(text: str) -> dict[str, str] | None:
    """gcloud's ``--condition``: ``None``, or ``key=value`` fields separated by commas or by the
    delimiter a leading ``^DELIM^`` names (``gcloud topic escaping``)."""
    if text == "None":
        return None
    delimiter = ","
    if text.startswith("^"):
        delimiter, _, text = text[1:].partition("^")
    fields = [field.partition("=") for field in text.split(delimiter)]
    return {key: value for key, _, value in fields}


def _disable_provider(protocol: str) -> Handler:
    """``providers update-aws|update-oidc --disabled``: the provider exchanges no new token."""

    def disable(estate: Estate, command: Command, positional: tuple[str, ...]) -> None:
        [provider_id] = positional
        if "disabled" not in command.options:
            raise ValueError(f"the emulated estate only disables providers: {' '.join(command.words)}")
        project = estate.project(command.option("project"))
        pools = project.pools if project is not None else []
        pool = next((p for p in pools if p.id == command.option("workload-identity-pool")), None)
        provider = next((p for p in pool.providers if p.id == provider_id), None) if pool else None
        if provider is None or _protocol(provider) != protocol:
            raise ValueError(f"no {protocol} provider {provider_id} in pool {command.option('workload-identity-pool')}")
        provider.disabled = True

    return disable


def _protocol(provider: Provider) -> str:
    return "aws" if provider.aws_account is not None else "oidc"


_ROUTES: dict[tuple[str, ...], Handler] = {
    ("gcloud", "iam", "service-accounts", "keys", "disable"): _disable_key,
    ("gcloud", "iam", "service-accounts", "keys", "delete"): _delete_key,
    ("gcloud", "iam", "service-accounts", "disable"): _disable_account,
    ("gcloud", "projects", "remove-iam-policy-binding"): _remove_binding("projects"),
    ("gcloud", "resource-manager", "folders", "remove-iam-policy-binding"): _remove_binding("folders"),
    ("gcloud", "organizations", "remove-iam-policy-binding"): _remove_binding("organizations"),
    **{
        ("gcloud", "iam", "workload-identity-pools", "providers", f"update-{protocol}"): _disable_provider(protocol)
        for protocol in ("aws", "oidc")
    },
}
