"""The coverage units of one project, by name: what the engine records complete,
partial, failed or skipped, and what each identity says it relied on."""

SERVICE_ACCOUNTS = "service-accounts"
KEYS = "service-account-keys"
IAM_POLICY = "iam-policy"
INHERITED_POLICIES = "inherited-iam-policies"  # the folders' and organisation's above the project
WORKLOAD_PROVIDERS = "workload-identity-providers"  # the external identity providers a project trusts
CUSTOM_ROLES = "custom-roles"  # definitions of the custom roles bound: what makes a holder privileged
KEY_LAST_AUTHENTICATION = "key-last-authentication"  # Policy Analyzer: enrichment only
ACCOUNT_LAST_AUTHENTICATION = "account-last-authentication"  # Policy Analyzer: enrichment only
PARENT_PROJECTS = "projects-under-parent"  # only with ``parent``: tells which other projects are the customer's
