"""Real-shaped GCP API samples, written down from public documentation and public code
(each with its source), independent of the emulators: every GCP transform runs over
them in tests/gcp/test_gcp_corpus.py. Our emulator is not the cloud; these are what the
cloud's own documentation says it returns."""

from __future__ import annotations

from typing import Any

# IAM API projects.serviceAccounts.list, the response shown in "Create and manage service
# accounts" (cloud.google.com/iam/docs/service-accounts-create, "List service accounts", REST)
SERVICE_ACCOUNTS: dict[str, Any] = {
    "accounts": [
        {
            "name": "projects/my-project/serviceAccounts/sa-1@my-project.iam.gserviceaccount.com",
            "projectId": "my-project",
            "uniqueId": "123456789012345678901",
            "email": "sa-1@my-project.iam.gserviceaccount.com",
            "description": "My first service account",
            "displayName": "Service account 1",
            "etag": "BwUpTsLVUkQ=",
            "oauth2ClientId": "987654321098765432109",
        },
        {
            "name": "projects/my-project/serviceAccounts/sa-2@my-project.iam.gserviceaccount.com",
            "projectId": "my-project",
            "uniqueId": "234567890123456789012",
            "email": "sa-2@my-project.iam.gserviceaccount.com",
            "description": "My second service account",
            "displayName": "Service account 2",
            "etag": "UkQpTwBVUsL=",
            "oauth2ClientId": "876543210987654321098",
        },
    ]
}

# IAM API projects.serviceAccounts.keys.list (keyTypes=USER_MANAGED), the response shown in
# "List and get service account keys" (cloud.google.com/iam/docs/keys-list-get, REST)
KEYS: dict[str, Any] = {
    "keys": [
        {
            "name": "projects/my-project/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com"
            "/keys/90c48f61c65cd56224a12ab18e6ee9ca9c3aee7c",
            "validAfterTime": "2020-03-04T17:39:47Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
        },
        {
            "name": "projects/my-project/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com"
            "/keys/e5e3800831ac1adc8a5849da7d827b4724b1fce8",
            "validAfterTime": "2020-03-31T23:50:09Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
        },
        {
            "name": "projects/my-project/serviceAccounts/my-service-account@my-project.iam.gserviceaccount.com"
            "/keys/b97699f042b8eee6a846f4f96259fbcd13e2682e",
            "validAfterTime": "2020-05-17T18:58:13Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyAlgorithm": "KEY_ALG_RSA_2048",
            "keyOrigin": "GOOGLE_PROVIDED",
            "keyType": "USER_MANAGED",
            "disabled": True,
        },
    ]
}

# The Policy message's own JSON example (google.iam.v1.Policy, cloud.google.com/resource-manager/
# reference/rest/Shared.Types/Policy; the same text ships in every generated client's docs)
POLICY: dict[str, Any] = {
    "bindings": [
        {
            "role": "roles/resourcemanager.organizationAdmin",
            "members": [
                "user:mike@example.com",
                "group:admins@example.com",
                "domain:google.com",
                "serviceAccount:my-project-id@appspot.gserviceaccount.com",
            ],
        },
        {
            "role": "roles/resourcemanager.organizationViewer",
            "members": ["user:eve@example.com"],
            "condition": {
                "title": "expirable access",
                "description": "Does not grant access after Sep 2020",
                "expression": "request.time < timestamp('2020-10-01T00:00:00.000Z')",
            },
        },
    ],
    "etag": "BwWWja0YfJA=",
    "version": 3,
}

# Member forms a policy holds besides those, in the formats of cloud.google.com/iam/docs/
# principal-identifiers (values ours where the page gives only the format):
MEMBERS: dict[str, str] = {
    # a deleted principal still bound: deleted:serviceAccount:EMAIL?uid=UNIQUE_ID
    "deleted": "deleted:serviceAccount:my-service-account@my-project.iam.gserviceaccount.com?uid=123456789012345678901",
    # a single identity of a workforce identity pool
    "workforce": "principal://iam.googleapis.com/locations/global/workforcePools/altostrat-contractors/subject/raha@altostrat.com",
    # every service account of a folder (principalSet of cloudresourcemanager)
    "folder accounts": "principalSet://cloudresourcemanager.googleapis.com/folders/123456789012/type/ServiceAccount",
    # kubernetes/k8s.io infra/gcp/terraform (Apache-2.0): a GKE workload, by its pool's principal
    "gke": "principal://iam.googleapis.com/projects/180382678033/locations/global/workloadIdentityPools/"
    "k8s-infra-prow-build-trusted.svc.id.goog/subject/ns/test-pods/sa/k8s-infra-gcr-promoter",
    # Google's "Authenticate to Google Cloud APIs from GKE workloads": the legacy KSA member
    "gke legacy": "serviceAccount:my-project.svc.id.goog[default/my-ksa]",
}

# Policy Analyzer activities:query, serviceAccountLastAuthentication: the response shown in
# "View recent usage for service accounts and keys" (cloud.google.com/iam/docs/service-account-recent-usage)
ACCOUNT_ACTIVITIES: dict[str, Any] = {
    "activities": [
        {
            "activity": {
                "lastAuthenticatedTime": "2021-04-27T07:00:00Z",
                "serviceAccount": {
                    "fullResourceName": "//iam.googleapis.com/projects/my-project/serviceAccounts/"
                    "service-account-1@my-project.iam.gserviceaccount.com",
                    "projectNumber": "123456789012",
                    "serviceAccountId": "123456789012345678901",
                },
            },
            "activityType": "serviceAccountLastAuthentication",
            "fullResourceName": "//iam.googleapis.com/projects/my-project/serviceAccounts/"
            "service-account-1@my-project.iam.gserviceaccount.com",
        }
    ]
}

# serviceAccountKeyLastAuthentication: the activity broadinstitute/yale (BSD-3-Clause) mocks in
# internal/yale/disable_test.go, as its Go client decodes it: no outer fullResourceName, the key
# named only inside the activity
KEY_ACTIVITIES: dict[str, Any] = {
    "activities": [
        {
            "activity": {
                "lastAuthenticatedTime": "2021-04-18T07:00:00Z",
                "serviceAccountKey": {
                    "serviceAccountId": "108004111716625043518",
                    "projectNumber": "635957978953",
                    "fullResourceName": "//iam.googleapis.com/projects/broad-dsde-perf/serviceAccounts/"
                    "agora-perf-service-account@broad-dsde-perf.iam.gserviceaccount.com"
                    "/keys/e0b1b971487ffff7f725b124d3b729191f76b4cc",
                },
            },
            "activityType": "serviceAccountKeyLastAuthentication",
        }
    ]
}

# IAM API roles.get of a custom role: the Role resource (cloud.google.com/iam/reference/rest/v1/
# projects.roles) with the definition of Google's own example in "Create and manage custom roles"
# (title, description, stage, permissions); the role id and etag are ours
ROLE: dict[str, Any] = {
    "name": "projects/my-project/roles/myCompanyAdmin",
    "title": "Role Viewer",
    "description": "My custom role description.",
    "includedPermissions": ["iam.roles.get", "iam.roles.list"],
    # stage ALPHA in the example; "If the ALPHA launch stage has been selected for a role, the stage
    # field will not be included in the returned definition" (the Role reference): so none here
    "etag": "BwWKmjvelug=",
}

# IAM API workloadIdentityPools.list and .providers.list (cloud.google.com/iam/docs/reference/rest/
# v1/projects.locations.workloadIdentityPools.providers: the WorkloadIdentityPoolProvider resource)
# with the values Google's guides configure: "Configure Workload Identity Federation with
# deployment pipelines" (GitHub Actions: issuer, mapping and a repository_owner condition) and
# "... with AWS" (an AWS account, google.subject mapped from assertion.arn, no condition); the
# project number, pool and provider ids and the account id are ours
POOLS: dict[str, Any] = {
    "workloadIdentityPools": [
        {
            "name": "projects/123456789012/locations/global/workloadIdentityPools/ci-pool",
            "displayName": "CI pool",
            "state": "ACTIVE",
        }
    ]
}
PROVIDERS: dict[str, Any] = {
    "workloadIdentityPoolProviders": [
        {
            "name": "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/github",
            "displayName": "GitHub Actions",
            "state": "ACTIVE",
            "attributeMapping": {
                "google.subject": "assertion.sub",
                "attribute.actor": "assertion.actor",
                "attribute.repository": "assertion.repository",
                "attribute.repository_owner": "assertion.repository_owner",
            },
            "attributeCondition": "assertion.repository_owner == 'my-org'",
            "oidc": {"issuerUri": "https://token.actions.githubusercontent.com"},
        },
        {
            "name": "projects/123456789012/locations/global/workloadIdentityPools/ci-pool/providers/aws-partner",
            "state": "ACTIVE",
            "attributeMapping": {"google.subject": "assertion.arn"},
            "aws": {"accountId": "999999999999"},
        },
    ]
}
