"""The stacks: the two-region DR stack and the bootstrap stack that holds Terraform state."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_random.provider import RandomProvider

from constructs import Construct
from dr_stack.backend import configure_backend
from dr_stack.budget import budget_output
from dr_stack.keys import RegionalKey
from dr_stack.monitoring import AlarmTopic
from dr_stack.network import Network
from dr_stack.providers import ROLES, make_aws_providers
from dr_stack.settings import Settings

TERRAFORM_VERSION = ">= 1.11.0"


class DrStack(TerraformStack):
    """Warm-standby DR stack over two regions; every construct gets its provider(s) explicitly."""

    def __init__(self, scope: Construct, id_: str, *, settings: Settings) -> None:
        super().__init__(scope, id_)
        self.settings = settings
        self.add_override("terraform.required_version", TERRAFORM_VERSION)
        configure_backend(self, settings, id_)
        self.providers = make_aws_providers(self, settings)
        if settings.db_password_source == "random":
            RandomProvider(self, "random")

        self.keys: dict[str, RegionalKey] = {}
        self.networks: dict[str, Network] = {}
        self.topics: dict[str, AlarmTopic] = {}
        for role in ROLES:
            provider = self.providers.for_role(role)
            self.keys[role] = RegionalKey(self, f"{role}_key", provider=provider, settings=settings, role=role)
            self.networks[role] = Network(
                self, f"{role}_network", provider=provider, settings=settings, role=role, key=self.keys[role]
            )
            self.topics[role] = AlarmTopic(
                self, f"{role}_alarm_topic", provider=provider, settings=settings, role=role, key=self.keys[role]
            )

        self._build_data_tier()
        self._build_app_tier()
        self._build_failover()
        self._build_outputs()
        TerraformOutput(
            self, "recovery_budget", value=budget_output(settings),
            description="Worst-case recovery time and data-loss window from these settings, term by term (seconds)",
        )

    def _build_data_tier(self) -> None:
        """Aurora Global Database, credentials, DynamoDB global table, data-tier alarms (issue 3)."""

    def _build_app_tier(self) -> None:
        """ALB + WAF + ASG per region, DNS failover, app alarms and dashboard (issue 4)."""

    def _build_failover(self) -> None:
        """The failover orchestrator Lambda in each region (issue 5)."""

    def _build_outputs(self) -> None:
        """Terraform outputs for operators (issue 4)."""
