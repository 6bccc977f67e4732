"""GCP connector: service accounts, user-managed keys, project IAM members outside
the organisation, and last authentication from Policy Analyzer."""

from partner_nhi.connectors.gcp.connector import GcpConnector

__all__ = ["GcpConnector"]
