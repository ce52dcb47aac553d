#!/usr/bin/env python3
"""Copy the CloudFormation resource provider schemas vaultgate generates
code for out of an installed cfn-lint package into this folder.

cfn-lint ships each resource type's schema as
cfnlint/data/schemas/resources/<hash>.json and, per region, an index
(cfnlint/data/schemas/providers/<region>.json) that maps type names to those
hashes. This script reads the us-east-1 index, copies each listed
type's schema byte for byte to <type-name>.json (such as aws-s3-bucket.json)
and records the package version in source.json, which the generator puts in
the header of every generated file.

Usage, from the repository root, with the Python that has cfn-lint installed:
    python codegen/schemas/refresh.py [AWS::Service::Type ...]
Extra type names on the command line are added to the ones already vendored.
Run `cargo run -p vaultgate-codegen` afterwards.
"""

import json
import shutil
import sys
from pathlib import Path

import cfnlint
from cfnlint.version import __version__

HERE = Path(__file__).resolve().parent
REGION_INDEX = "cfnlint/data/schemas/providers/us-east-1.json"


def file_name(type_name: str) -> str:
    return type_name.lower().replace("::", "-") + ".json"


def main() -> None:
    vendored = {
        json.loads(path.read_text())["typeName"]
        for path in HERE.glob("aws-*.json")
    }
    wanted = sorted(vendored | set(sys.argv[1:]))

    package_root = Path(cfnlint.__file__).resolve().parent.parent
    index = json.loads((package_root / REGION_INDEX).read_text())
    missing = [name for name in wanted if name not in index]
    if missing:
        sys.exit(f"not in {REGION_INDEX}: {', '.join(missing)}")

    for stale in HERE.glob("aws-*.json"):
        stale.unlink()
    for name in wanted:
        source = package_root / "cfnlint/data/schemas/resources" / f"{index[name]}.json"
        shutil.copyfile(source, HERE / file_name(name))

    source = {
        "package": "cfn-lint",
        "version": __version__,
        "index": REGION_INDEX,
    }
    (HERE / "source.json").write_text(json.dumps(source, indent=2) + "\n")
    print(f"copied {len(wanted)} schemas from cfn-lint {__version__}")


if __name__ == "__main__":
    main()
