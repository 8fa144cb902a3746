#!/usr/bin/env python3
"""Regenerates the vendor excerpts beside this file from the full documents (the project's
reference folder, outside the repository). The simulator's defaults and the response-shape test
read only the files here; this script documents where they come from.

  python3 extract.py /path/to/reference

- halo-swagger-live-excerpt.json: copied verbatim (Halo's live 2026 document, excerpted).
- halo-swagger-older-excerpt.json: the schemas the live excerpt does not hold that a response
  the program reads refers to (FieldInfo, the bare array of GET /api/FieldInfo, and TableEnum,
  the `table` of a client row), with everything they refer to, value for value, from the older
  full Halo document (halo-swagger.json).
- ninja-openapi-excerpt.json: the NinjaOne operations the program sends and every schema their
  responses refer to, value for value, from ninja-openapi.yaml (converted to JSON).
"""
import json, re, shutil, sys

import yaml  # PyYAML

ref = sys.argv[1] if len(sys.argv) > 1 else "../../../shared/reference"


def closure(names, schemas):
    out, todo = {}, list(names)
    while todo:
        n = todo.pop()
        if n in out or n not in schemas:
            continue
        out[n] = schemas[n]
        todo += re.findall(r"#/components/schemas/(\w+)", json.dumps(schemas[n]))
    return dict(sorted(out.items()))


shutil.copy(f"{ref}/halo-swagger-live-excerpt.json", "halo-swagger-live-excerpt.json")

older = json.load(open(f"{ref}/halo-swagger.json"))
halo_older = {
    "source": "halo-swagger.json (the older, fuller Halo document), components.schemas",
    "schemas": closure(["FieldInfo", "TableEnum"], older["components"]["schemas"]),
}
json.dump(halo_older, open("halo-swagger-older-excerpt.json", "w"), indent=1)
open("halo-swagger-older-excerpt.json", "a").write("\n")

ninja = yaml.safe_load(open(f"{ref}/ninja-openapi.yaml"))
wanted = [
    "/v2/organizations",
    "/v2/locations",
    "/v2/device-custom-fields",
    "/v2/queries/scoped-custom-fields",
    "/v2/organization/{id}/custom-fields",
    "/v2/organization/{id}/location/{locationId}/custom-fields",
]
paths = {p: {m: op for m, op in ninja["paths"][p].items() if m == "get"} for p in wanted}
names = re.findall(r"#/components/schemas/(\w+)", json.dumps(paths))
excerpt = {
    "source": "ninja-openapi.yaml (" + ninja["info"].get("version", "") + "), the GET operations the program sends",
    "paths": paths,
    "schemas": closure(names, ninja["components"]["schemas"]),
}
json.dump(excerpt, open("ninja-openapi-excerpt.json", "w"), indent=1)
open("ninja-openapi-excerpt.json", "a").write("\n")
