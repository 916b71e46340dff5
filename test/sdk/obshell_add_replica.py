"""The official obshell Python SDK's own ClientV1.add_tenant_replica against the obshell simulator.

Run by test/providers/obshell-python-sdk.test.ts as
  python3 obshell_add_replica.py HOST PORT PASSWORD TENANT ZONE UNIT_CONFIG UNIT_NUM
and prints one JSON line: the DAG add_tenant_replica answered, the DAG wait_dag_succeed ended with, and the
errCode of the same call made again (the agent refuses a zone that already holds a replica).

The SDK is vendored unmodified in obshell-sdk-python/ (oceanbase/obshell-sdk-python, see its README.md).
"""
import importlib
import json
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "obshell-sdk-python"))

# Debian's python3-pycryptodome installs PyCryptodome as `Cryptodome` (the pycryptodomex layout); the SDK imports
# `Crypto`, which pip's pycryptodome provides. Same library, another top-level name: alias it when only one exists.
try:
    importlib.import_module("Crypto.Cipher.AES")
except ImportError:
    # The modules the SDK imports (grep "from Crypto" in obshell-sdk-python/obshell), under both names.
    for name in ("", ".Cipher", ".Cipher.AES", ".Cipher.PKCS1_v1_5", ".PublicKey", ".PublicKey.RSA", ".Random",
                 ".Util", ".Util.Padding"):
        sys.modules["Crypto" + name] = importlib.import_module("Cryptodome" + name)

# obshell/__init__.py imports its SSH installer (paramiko) and package downloader (rpmfile); neither is used by
# ClientV1. Stand-ins only when the real modules are missing, so the import succeeds.
for missing in ("paramiko", "paramiko.client", "rpmfile"):
    try:
        importlib.import_module(missing)
    except ImportError:
        stub = types.ModuleType(missing)
        stub.SFTPClient = stub.SSHClient = stub.AutoAddPolicy = object
        stub.client = stub
        sys.modules[missing] = stub

from obshell import ClientV1, OBShellHandleError  # noqa: E402
from obshell.auth.password import PasswordAuth  # noqa: E402
from obshell.model.tenant import ZoneParam  # noqa: E402


def main():
    host, port, password, tenant, zone, unit_config, unit_num = sys.argv[1:8]
    client = ClientV1(host, int(port), PasswordAuth(password))
    zones = [ZoneParam(zone, unit_config, int(unit_num))]
    dag = client.add_tenant_replica(tenant, zones)
    started = {"id": dag.generic_id, "name": dag.name, "state": dag.state, "operator": dag.operator}
    done = client.wait_dag_succeed(dag.generic_id)
    ended = {
        "id": done.generic_id,
        "state": done.state,
        "operator": done.operator,
        "nodes": [node.name for node in done.nodes],
    }
    try:
        client.add_tenant_replica(tenant, zones)
        again = None
    except OBShellHandleError as error:
        again = error.err_code
    print(json.dumps({"started": started, "ended": ended, "again": again}))


if __name__ == "__main__":
    main()
