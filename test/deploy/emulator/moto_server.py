"""moto's server (the local AWS the deploy test creates the stack in), with four gaps closed.

Each patch makes moto do what AWS documents where moto falls short; none changes what the stack
asks for. Usage: python moto_server.py; it listens on a free port of 127.0.0.1 and prints
"listening on http://127.0.0.1:PORT" before it starts.
"""

import os
import re
import socket

from moto.batch import models as batch
from moto.cloudformation.models import CloudFormationBackend
from moto.core.config import default_user_config
from moto.iam.models import iam_backends
from moto.stepfunctions import models as stepfunctions
from moto.stepfunctions.responses import get_backend


# 1. ValidateTemplate: moto runs every cfn-lint rule with no configuration and refuses the template
# on the first match, so a warning (W3005, a DependsOn osls adds) or cfn-lint's gap on Succeed
# states fails the deploy. package-aws.test.ts lints the template itself, with only that gap
# excepted.
CloudFormationBackend.validate_template = lambda self, template: []


# 2. A Batch compute environment without ServiceRole: AWS uses the AWSServiceRoleForBatch
# service-linked role (creating it if need be); moto requires a role.
_create_environment = batch.ComputeEnvironment.create_from_cloudformation_json.__func__


def _create_environment_with_service_role(cls, name, template, account_id, region_name, **kwargs):
    properties = template["Properties"]
    if "ServiceRole" not in properties:
        iam = iam_backends[account_id]["global"]
        try:
            role = iam.get_role("AWSServiceRoleForBatch")
        except Exception:  # moto's NotFoundException: the first environment of the account
            role = iam.create_service_linked_role("batch.amazonaws.com", "AWS Batch", "")
        template = {**template, "Properties": {**properties, "ServiceRole": role.arn}}
    return _create_environment(cls, name, template, account_id, region_name, **kwargs)


batch.ComputeEnvironment.create_from_cloudformation_json = classmethod(_create_environment_with_service_role)


# 3. and 4. A state machine from a template: CloudFormation replaces each ${key} of
# DefinitionSubstitutions in DefinitionString (moto ignores them), and the machine must live in the
# backend that StartExecution uses (moto's executing one when execute_state_machine is on). That
# backend's ASL parser refuses an ItemReader with InputType JSONL (benchmark-sweep's), which AWS
# accepts, so the definition is stored as CloudFormation hands it over and parsed when it runs.
def _substitute(definition, substitutions):
    return re.sub(
        r"\$\{([^}]+)\}",
        lambda m: str(substitutions[m.group(1)]) if m.group(1) in substitutions else m.group(0),
        definition,
    )


def _create_state_machine(cls, resource_name, template, account_id, region_name, **kwargs):
    properties = template["Properties"]
    definition = _substitute(properties.get("DefinitionString", ""), properties.get("DefinitionSubstitutions", {}))
    return stepfunctions.StepFunctionBackend.create_state_machine(
        get_backend(account_id, region_name),
        properties.get("StateMachineName", resource_name),
        definition,
        properties.get("RoleArn", ""),
        tags=stepfunctions.cfn_to_api_tags(properties.get("Tags", [])),
    )


stepfunctions.StateMachine.create_from_cloudformation_json = classmethod(_create_state_machine)

# Executions run the ASL (moto's interpreter) instead of succeeding at once.
default_user_config.setdefault("stepfunctions", {})["execute_state_machine"] = True

if __name__ == "__main__":
    from moto.server import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # moto's Step Functions interpreter calls the other services (Lambda) back at MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    main(["-H", "127.0.0.1", "-p", str(port)])
