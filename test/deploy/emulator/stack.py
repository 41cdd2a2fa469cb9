"""What the deploy test asks the emulator (boto3, which moto brings; AWS_ENDPOINT_URL points it
at the emulator). Prints JSON on stdout.

  python stack.py network          a VPC, a subnet and a security group for the GPU compute
                                   environment (moto checks that they exist, as AWS does)
  python stack.py deploy DIR STACK creates the stack osls packaged into DIR the way `osls deploy`
                                   does: the create-stack template (the deployment bucket), the
                                   artefacts uploaded into that bucket, then the update-stack
                                   template
  python stack.py inspect STACK    the stack's resources as the emulator holds them
"""

import ast
import json
import os
import sys

import boto3
from botocore.exceptions import ClientError


def network():
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="medals-gpu", Description="medals GPU jobs", VpcId=vpc)
    return {"subnetId": subnet, "securityGroupId": group["GroupId"]}


def deploy(directory, stack_name):
    cloudformation = boto3.client("cloudformation")
    s3 = boto3.client("s3")

    def template(kind):
        with open(os.path.join(directory, f"cloudformation-template-{kind}-stack.json")) as f:
            return f.read()

    capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
    cloudformation.create_stack(StackName=stack_name, TemplateBody=template("create"), Capabilities=capabilities)
    cloudformation.get_waiter("stack_create_complete").wait(StackName=stack_name)
    bucket = cloudformation.describe_stack_resource(StackName=stack_name, LogicalResourceId="ServerlessDeploymentBucket")[
        "StackResourceDetail"
    ]["PhysicalResourceId"]
    update = template("update")
    uploaded = []
    for resource in json.loads(update)["Resources"].values():
        code = resource.get("Properties", {}).get("Code", {})
        if "S3Key" in code:
            with open(os.path.join(directory, os.path.basename(code["S3Key"])), "rb") as f:
                s3.put_object(Bucket=bucket, Key=code["S3Key"], Body=f.read())
            uploaded.append(code["S3Key"])
    cloudformation.update_stack(StackName=stack_name, TemplateBody=update, Capabilities=capabilities)
    cloudformation.get_waiter("stack_update_complete").wait(StackName=stack_name)
    return {"bucket": bucket, "uploaded": uploaded}


def document(text):
    """A policy document as moto returns it: JSON, or (from a template) a Python dict's repr."""
    if isinstance(text, dict):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return ast.literal_eval(text)


def inspect(stack_name):
    cloudformation = boto3.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    # moto lists a resource it could not create (a type it lacks) with no logical id or type.
    listed = cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
    resources = [r for r in listed if "LogicalResourceId" in r]
    by_type = {}
    for r in resources:
        by_type.setdefault(r["ResourceType"], []).append(r)
    iam = boto3.client("iam")
    lambdas = boto3.client("lambda")
    events = boto3.client("events")
    s3 = boto3.client("s3")
    stepfunctions = boto3.client("stepfunctions")
    batch = boto3.client("batch")

    def role(r):
        name = r["PhysicalResourceId"]
        got = iam.get_role(RoleName=name)["Role"]
        policies = {
            p: document(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"])
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
        }
        return {"arn": got["Arn"], "assume": got["AssumeRolePolicyDocument"], "policies": policies}

    def function(r):
        c = lambdas.get_function_configuration(FunctionName=r["PhysicalResourceId"])
        keys = ("FunctionArn", "Handler", "Runtime", "Role", "PackageType", "Timeout", "MemorySize")
        return {k: c.get(k) for k in keys}

    def machine(r):
        m = stepfunctions.describe_state_machine(stateMachineArn=r["PhysicalResourceId"])
        return {"arn": m["stateMachineArn"], "name": m["name"], "definition": m["definition"], "roleArn": m["roleArn"]}

    def rule(r):
        got = events.describe_rule(Name=r["PhysicalResourceId"])
        targets = events.list_targets_by_rule(Rule=r["PhysicalResourceId"])["Targets"]
        return {
            "arn": got["Arn"],
            "state": got.get("State"),
            "eventPattern": json.loads(got["EventPattern"]) if got.get("EventPattern") else None,
            "targets": [{"arn": t["Arn"], "roleArn": t.get("RoleArn")} for t in targets],
        }

    def bucket(r):
        name = r["PhysicalResourceId"]
        try:
            policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
        except ClientError as e:
            policy = {"error": e.response["Error"]["Code"]}
        return {"name": name, "policy": policy}

    def queue(r):
        q = batch.describe_job_queues(jobQueues=[r["PhysicalResourceId"]])["jobQueues"][0]
        return {"arn": q["jobQueueArn"], "environments": [e["computeEnvironment"] for e in q["computeEnvironmentOrder"]]}

    inspectors = {
        "AWS::IAM::Role": role,
        "AWS::Lambda::Function": function,
        "AWS::StepFunctions::StateMachine": machine,
        "AWS::Events::Rule": rule,
        "AWS::S3::Bucket": bucket,
        "AWS::Batch::JobQueue": queue,
    }
    details = {}
    for kind, inspector in inspectors.items():
        for r in by_type.get(kind, []):
            details[r["LogicalResourceId"]] = inspector(r)
    return {
        "status": stack["StackStatus"],
        "resources": {
            r["LogicalResourceId"]: {"type": r["ResourceType"], "id": r.get("PhysicalResourceId"), "status": r["ResourceStatus"]}
            for r in resources
        },
        "unnamed": len(listed) - len(resources),
        "details": details,
    }


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    result = {"network": network, "deploy": deploy, "inspect": inspect}[command](*args)
    json.dump(result, sys.stdout, default=str)
