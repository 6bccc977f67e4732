"""Real-shaped AWS API samples, written down from AWS's own public material, independent of
moto: every AWS transform runs over them in tests/aws/test_aws_corpus.py (and the tests of each fix).

Each sample names its source. "botocore examples" is botocore's
``data/<service>/<version>/examples-1.json`` (AWS's documented examples, shipped with the
SDK); "API reference" is the AWS API Reference page of that operation or type; "model" is
botocore's ``service-2.json`` shape, where AWS publishes no example with that field yet.
Timestamps are given as botocore returns them (aware datetimes), strings as AWS sends them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# -- Organizations ----------------------------------------------------------------------------

# botocore examples, organizations 2016-11-28, ListAccounts ("To retrieve a list of all of the
# accounts in an organization"): the retired Status only, as AWS documented it until 2025.
LIST_ACCOUNTS_STATUS_ONLY: list[dict[str, Any]] = [
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/111111111111",
        "Email": "bill@example.com",
        "Id": "111111111111",
        "JoinedMethod": "INVITED",
        "JoinedTimestamp": at("2016-12-15T19:30:15Z"),
        "Name": "Master Account",
        "Status": "ACTIVE",
    },
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/222222222222",
        "Email": "alice@example.com",
        "Id": "222222222222",
        "JoinedMethod": "INVITED",
        "JoinedTimestamp": at("2016-12-15T21:02:21Z"),
        "Name": "Developer Account",
        "Status": "ACTIVE",
    },
]

# model: organizations 2016-11-28, shape Account: State (PENDING_ACTIVATION | ACTIVE | SUSPENDED |
# PENDING_CLOSURE | CLOSED) replaces Status, "retired on September 9, 2026". After that date an
# account carries State only; the ARN pattern is the API reference's (API_Account).
LIST_ACCOUNTS_STATE_ONLY: list[dict[str, Any]] = [
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/111111111111",
        "Email": "bill@example.com",
        "Id": "111111111111",
        "JoinedMethod": "INVITED",
        "JoinedTimestamp": at("2016-12-15T19:30:15Z"),
        "Name": "Master Account",
        "State": "ACTIVE",
    },
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/333333333333",
        "Email": "juan@example.com",
        "Id": "333333333333",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": at("2016-12-15T21:03:47Z"),
        "Name": "Test Account",
        "State": "SUSPENDED",
    },
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/444444444444",
        "Email": "anika@example.com",
        "Id": "444444444444",
        "JoinedMethod": "INVITED",
        "JoinedTimestamp": at("2016-12-15T21:03:32Z"),
        "Name": "Production Account",
        "State": "ACTIVE",
    },
    {
        "Arn": "arn:aws:organizations::111111111111:account/o-exampleorgid/555555555555",
        "Email": "closed@example.com",
        "Id": "555555555555",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": at("2019-03-01T10:00:00Z"),
        "Name": "Closed Sandbox",
        "State": "CLOSED",
    },
]

# The same shape in AWS GovCloud (US): ARNs in the aws-us-gov partition (IAM User Guide, "IAM ARNs":
# arn:partition:service:region:account:resource).
LIST_ACCOUNTS_GOVCLOUD: list[dict[str, Any]] = [
    {
        "Arn": "arn:aws-us-gov:organizations::111111111111:account/o-exampleorgid/666666666666",
        "Email": "gov@example.com",
        "Id": "666666666666",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": at("2021-06-01T00:00:00Z"),
        "Name": "GovCloud Workloads",
        "State": "ACTIVE",
    }
]


# -- IAM: GetAccountAuthorizationDetails ------------------------------------------------------

# AWS CLI documentation, awscli/examples/iam/get-account-authorization-details.rst (the output of
# `aws iam get-account-authorization-details`), shortened: its groups, users and two policies.
# The page prints the Admins and Dev groups' AttachedManagedPolicies as one object; the model
# (GroupDetail.AttachedManagedPolicies: attachedPoliciesListType) makes it a list, as here.
AUTHORIZATION_DETAILS: dict[str, Any] = {
    "RoleDetailList": [
        {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "",
                        "Effect": "Allow",
                        "Principal": {"Service": "ec2.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "RoleId": "AROAFP4BKI7Y7TEXAMPLE",
            "CreateDate": at("2014-07-30T17:09:20Z"),
            "RoleName": "EC2role",
            "Path": "/",
            "AttachedManagedPolicies": [
                {"PolicyName": "AmazonS3FullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonS3FullAccess"},
                {
                    "PolicyName": "AmazonDynamoDBFullAccess",
                    "PolicyArn": "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
                },
            ],
            "RolePolicyList": [],
            "Arn": "arn:aws:iam::123456789012:role/EC2role",
        }
    ],
    "GroupDetailList": [
        {
            "GroupId": "AIDACKCEVSQ6C7EXAMPLE",
            "AttachedManagedPolicies": [
                {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
            ],
            "GroupName": "Admins",
            "Path": "/",
            "Arn": "arn:aws:iam::123456789012:group/Admins",
            "CreateDate": at("2013-10-14T18:32:24Z"),
            "GroupPolicyList": [],
        },
        {
            "GroupId": "AIDACKCEVSQ6C8EXAMPLE",
            "AttachedManagedPolicies": [
                {"PolicyName": "PowerUserAccess", "PolicyArn": "arn:aws:iam::aws:policy/PowerUserAccess"}
            ],
            "GroupName": "Dev",
            "Path": "/",
            "Arn": "arn:aws:iam::123456789012:group/Dev",
            "CreateDate": at("2013-10-14T18:33:55Z"),
            "GroupPolicyList": [],
        },
        {
            "GroupId": "AIDACKCEVSQ6C9EXAMPLE",
            "AttachedManagedPolicies": [],
            "GroupName": "Finance",
            "Path": "/",
            "Arn": "arn:aws:iam::123456789012:group/Finance",
            "CreateDate": at("2013-10-14T18:57:48Z"),
            "GroupPolicyList": [
                {
                    "PolicyName": "policygen-201310141157",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Action": "aws-portal:*", "Sid": "Stmt1381777017000", "Resource": "*", "Effect": "Allow"}
                        ],
                    },
                }
            ],
        },
    ],
    "UserDetailList": [
        {
            "UserName": "Alice",
            "GroupList": ["Admins"],
            "CreateDate": at("2013-10-14T18:32:24Z"),
            "UserId": "AIDACKCEVSQ6C2EXAMPLE",
            "UserPolicyList": [],
            "Path": "/",
            "AttachedManagedPolicies": [],
            "Arn": "arn:aws:iam::123456789012:user/Alice",
        },
        {
            "UserName": "Bob",
            "GroupList": ["Admins"],
            "CreateDate": at("2013-10-14T18:32:25Z"),
            "UserId": "AIDACKCEVSQ6C3EXAMPLE",
            "UserPolicyList": [
                {
                    "PolicyName": "DenyBillingAndIAMPolicy",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": {"Effect": "Deny", "Action": ["aws-portal:*", "iam:*"], "Resource": "*"},
                    },
                }
            ],
            "Path": "/",
            "AttachedManagedPolicies": [],
            "Arn": "arn:aws:iam::123456789012:user/Bob",
        },
        {
            "UserName": "Charlie",
            "GroupList": ["Dev"],
            "CreateDate": at("2013-10-14T18:33:56Z"),
            "UserId": "AIDACKCEVSQ6C4EXAMPLE",
            "UserPolicyList": [],
            "Path": "/",
            "AttachedManagedPolicies": [],
            "Arn": "arn:aws:iam::123456789012:user/Charlie",
        },
        {  # not in the page: a user of the Finance group only, to show a group that grants no admin power
            "UserName": "Dana",
            "GroupList": ["Finance"],
            "CreateDate": at("2013-10-14T18:34:00Z"),
            "UserId": "AIDACKCEVSQ6C5EXAMPLE",
            "UserPolicyList": [],
            "Path": "/",
            "AttachedManagedPolicies": [],
            "Arn": "arn:aws:iam::123456789012:user/Dana",
        },
    ],
    "Policies": [
        {
            "PolicyName": "S3-read-only-specific-bucket",
            "CreateDate": at("2015-01-21T21:39:41Z"),
            "AttachmentCount": 1,
            "IsAttachable": True,
            "PolicyId": "ANPAJ4AE5446DAEXAMPLE",
            "DefaultVersionId": "v1",
            "PolicyVersionList": [
                {
                    "CreateDate": at("2015-01-21T21:39:41Z"),
                    "VersionId": "v1",
                    "Document": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Effect": "Allow",
                                "Action": ["s3:Get*", "s3:List*"],
                                "Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"],
                            }
                        ],
                    },
                    "IsDefaultVersion": True,
                }
            ],
            "Path": "/",
            "Arn": "arn:aws:iam::123456789012:policy/S3-read-only-specific-bucket",
            "UpdateDate": at("2015-01-21T23:39:41Z"),
        }
    ],
    "IsTruncated": False,
}


# -- IAM: role trust policies (AssumeRolePolicyDocument) --------------------------------------

# AWS Knowledge Center, "Why is there an unknown principal format in my IAM resource-based policy?":
# once a user or role named in a policy is deleted, the policy shows its unique id (AIDA..., AROA...).
TRUST_DELETED_PRINCIPALS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": ["AIDAJQABLZS4A3QDU576Q", "AROAKSCDLFT9R5DQP782U"]},
            "Action": "sts:AssumeRole",
        }
    ],
}


# botocore examples, iam 2010-05-08, GetRole ("To get information about an IAM role"); the example's
# AssumeRolePolicyDocument is a placeholder ("<URL-encoded-JSON>"): here, the URL-encoded JSON of a
# trust in EC2, as the API sends it.
GET_ROLE: dict[str, Any] = {
    "Arn": "arn:aws:iam::123456789012:role/Test-Role",
    "AssumeRolePolicyDocument": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A"
    "%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A"
    "%22sts%3AAssumeRole%22%7D%5D%7D",
    "CreateDate": at("2013-04-18T05:01:58Z"),
    "MaxSessionDuration": 3600,
    "Path": "/",
    "RoleId": "AROADBQP57FF2AEXAMPLE",
    "RoleLastUsed": {"LastUsedDate": at("2019-11-18T05:01:58Z"), "Region": "us-east-1"},
    "RoleName": "Test-Role",
}


# -- IAM: ListServiceSpecificCredentials --------------------------------------------------------

# model: iam 2010-05-08, ListServiceSpecificCredentials (ServiceSpecificCredentials, IsTruncated,
# Marker; no botocore paginator) and ServiceSpecificCredentialMetadata; API reference,
# ServiceSpecificCredential: "ExpirationDate ... only present for Bedrock API keys [and CloudWatch
# Logs API keys] that were created with an expiration period"; "ServiceCredentialAlias ... the public
# portion of the credential that includes the IAM user name and a suffix". AWS publishes no example
# response; values below follow the documented fields and patterns (ids: [\w]+, 20 to 128 chars).
SERVICE_CREDENTIAL_PAGES: list[dict[str, Any]] = [
    {
        "ServiceSpecificCredentials": [
            {
                "UserName": "Anika",
                "Status": "Active",
                "ServiceUserName": "Anika-at-123456789012",
                "CreateDate": at("2024-03-11T09:12:44Z"),
                "ServiceSpecificCredentialId": "ACCAEXAMPLECODECOMMIT1",
                "ServiceName": "codecommit.amazonaws.com",
            }
        ],
        "IsTruncated": True,
        "Marker": "EXAMPLEmarkerpage2",
    },
    {
        "ServiceSpecificCredentials": [
            {
                "UserName": "Anika",
                "Status": "Active",
                "ServiceCredentialAlias": "Anika+1-at-123456789012",
                "CreateDate": at("2026-09-01T12:00:00Z"),
                "ExpirationDate": at("2026-12-01T12:00:00Z"),
                "ServiceSpecificCredentialId": "ACCAEXAMPLEBEDROCKKEY1",
                "ServiceName": "bedrock.amazonaws.com",
            },
            {
                "UserName": "Anika",
                "Status": "Expired",
                "ServiceCredentialAlias": "Anika+2-at-123456789012",
                "CreateDate": at("2025-01-10T08:00:00Z"),
                "ExpirationDate": at("2025-04-10T08:00:00Z"),
                "ServiceSpecificCredentialId": "ACCAEXAMPLELOGSAPIKEY1",
                "ServiceName": "logs.amazonaws.com",
            },
        ],
        "IsTruncated": False,
    },
]


# -- IAM: ListAccessKeys and the credential report ---------------------------------------------

# botocore examples, iam 2010-05-08, ListAccessKeys ("To list the access key IDs for an IAM user").
LIST_ACCESS_KEYS: list[dict[str, Any]] = [
    {
        "AccessKeyId": "AKIA111111111EXAMPLE",
        "CreateDate": at("2016-12-01T22:19:58Z"),
        "Status": "Active",
        "UserName": "Alice",
    },
    {
        "AccessKeyId": "AKIA222222222EXAMPLE",
        "CreateDate": at("2016-12-01T22:20:01Z"),
        "Status": "Active",
        "UserName": "Alice",
    },
]

# IAM User Guide, "Getting credential reports for your AWS account" (the column list and the
# meaning of N/A, no_information, not_supported), written as the report's CSV: the header in the
# documented order, the root row AWS adds, and Alice with the two keys above. Her second key was last
# used in 2017; her first never (N/A); she has no password.
CREDENTIAL_REPORT_CSV = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,"
    "access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
    "<root_account>,arn:aws:iam::123456789012:root,2013-10-14T18:32:24+00:00,not_supported,"
    "2017-03-01T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
    "false,N/A,false,N/A\n"
    "Alice,arn:aws:iam::123456789012:user/Alice,2013-10-14T18:32:24+00:00,false,N/A,N/A,N/A,false,"
    "true,2016-12-01T22:19:58+00:00,N/A,N/A,N/A,"
    "true,2016-12-01T22:20:01+00:00,2017-02-12T16:03:00+00:00,us-east-1,s3,false,N/A,false,N/A\n"
)

# IAM User Guide, "Access to AWS accounts owned by third parties" (id_roles_create_for-user_externalid):
# "Principal": {"AWS": "Example Corp's AWS Account ID"}, "Condition": {"StringEquals": {"sts:ExternalId":
# "Unique ID Assigned by Example Corp"}}; the account here is the test registry's partner acme.
TRUST_WITH_EXTERNAL_ID: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Principal": {"AWS": "111122223333"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "Unique ID Assigned by Example Corp"}},
    },
}

# The same trust as the IAM User Guide's cross-account example writes it without the condition
# ("Principal": {"AWS": "arn:aws:iam::ACCOUNT-ID:root"}, "Action": "sts:AssumeRole").
TRUST_WITHOUT_EXTERNAL_ID: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}
    ],
}

# IAM User Guide, "Configuring a role for GitHub OIDC identity provider" and GitHub Docs,
# "Configuring OpenID Connect in Amazon Web Services": aud pinned with StringEquals, sub with
# StringLike "repo:<OWNER>/<REPO>:...".
TRUST_GITHUB_OIDC: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                "StringLike": {
                    "token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:ref:refs/heads/main"
                },
            },
        }
    ],
}


# -- IAM: the other per-user listings ----------------------------------------------------------

# botocore examples, iam 2010-05-08, ListSigningCertificates ("To list the signing certificates for
# an IAM user"); the body is public, but partner-nhi never keeps it.
LIST_SIGNING_CERTIFICATES: list[dict[str, Any]] = [
    {
        "CertificateBody": "-----BEGIN CERTIFICATE-----<certificate-body>-----END CERTIFICATE-----",
        "CertificateId": "TA7SMP42TDN5Z26OBPJE7EXAMPLE",
        "Status": "Active",
        "UploadDate": at("2013-06-06T21:40:08Z"),
        "UserName": "Bob",
    }
]

# model: iam 2010-05-08, SSHPublicKeyMetadata (UserName, SSHPublicKeyId, Status, UploadDate, all
# required); the id in the API reference's pattern (APKA...EXAMPLE, as in UploadSSHPublicKey).
LIST_SSH_PUBLIC_KEYS: list[dict[str, Any]] = [
    {
        "UserName": "Jane",
        "SSHPublicKeyId": "APKAEIBAERJR2EXAMPLE",
        "Status": "Active",
        "UploadDate": at("2015-06-05T20:56:46Z"),
    },
    {
        "UserName": "Jane",
        "SSHPublicKeyId": "APKAEIVFHP46CEXAMPLE",
        "Status": "Inactive",
        "UploadDate": at("2015-06-05T20:58:01Z"),
    },
]

# API reference, GetAccessKeyLastUsed, sample response for AKIAIOSFODNN7EXAMPLE: Region us-west-2,
# ServiceName s3, UserName bob, LastUsedDate in March 2015 (the page's minute is from memory); and the
# never-used form the AccessKeyLastUsed reference describes ("N/A", no LastUsedDate).
GET_ACCESS_KEY_LAST_USED: dict[str, Any] = {
    "UserName": "bob",
    "AccessKeyLastUsed": {"Region": "us-west-2", "LastUsedDate": at("2015-03-13T10:45:00Z"), "ServiceName": "s3"},
}
GET_ACCESS_KEY_NEVER_USED: dict[str, Any] = {
    "UserName": "bob",
    "AccessKeyLastUsed": {"Region": "N/A", "ServiceName": "N/A"},
}
