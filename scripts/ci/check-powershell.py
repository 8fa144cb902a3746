#!/usr/bin/env python3
"""Checks PowerShell scripts with a real PowerShell grammar (tree-sitter-pwsh), since PowerShell
itself cannot run here: any ERROR or MISSING node fails, and so does syntax or a parameter that
Windows PowerShell 5.1 (what NinjaOne runs on Windows) does not have.

    check-powershell.py FILE...               check the files
    check-powershell.py --self-test FILE      also show that broken copies of FILE are caught
"""
import re
import sys

import tree_sitter_pwsh
from tree_sitter import Language, Parser

PARSER = Parser(Language(tree_sitter_pwsh.language()))

# Syntax PowerShell 7 added, as this grammar names it: the pipeline chain operators && and ||,
# the null-coalescing ?? and ??=, the ternary ?:, and the null-conditional ?. and ?[ (which 5.1
# reads as a variable name ending in '?', so never meant).
PS7_NODES = {
    "ternary_expression": "the ternary operator ?: (PowerShell 7)",
    "null_coalesce_expression": "the ?? operator (PowerShell 7)",
}
PS7_TOKENS = {
    "&&": "the && pipeline chain operator (PowerShell 7)",
    "||": "the || pipeline chain operator (PowerShell 7)",
    "??=": "the ??= operator (PowerShell 7)",
    "?.": "the ?. operator (PowerShell 7)",
    "?[": "the ?[ operator (PowerShell 7)",
}
# Cmdlets and parameters that Windows PowerShell 5.1 lacks (lower case).
PS7_COMMANDS = {"get-error", "test-json", "join-string", "get-uptime", "remove-alias", "remove-service"}
PS7_PARAMETERS = {
    "foreach-object": {"parallel", "throttlelimit", "timeoutseconds", "asjob"},
    "invoke-webrequest": {"skipcertificatecheck", "authentication", "token", "sslprotocol", "skiphttperrorcheck",
                          "statuscodevariable", "responseheadersvariable", "maximumretrycount", "retryintervalsec",
                          "skipheadervalidation", "resume", "noproxy", "preservehttpmethodonredirect"},
    "invoke-restmethod": {"skipcertificatecheck", "authentication", "token", "sslprotocol", "skiphttperrorcheck",
                          "statuscodevariable", "responseheadersvariable", "maximumretrycount", "retryintervalsec",
                          "skipheadervalidation", "resume", "noproxy", "followrellink"},
    "convertfrom-json": {"ashashtable", "depth", "noenumerate"},
    "convertto-json": {"enumsasstrings", "ascii", "escapehandling"},
    "join-path": {"additionalchildpath"},
    "split-path": {"leafbase", "extension"},
    "get-content": {"asbytestream"},
    "set-content": {"asbytestream"},
    "select-object": {"skipindex"},
    "get-childitem": {"followsymlink"},
    "test-connection": {"tcpport", "traceroute", "mtusize"},
}


def problems(source: bytes):
    tree = PARSER.parse(source)
    found = []

    def at(node):
        return f"line {node.start_point[0] + 1}, column {node.start_point[1] + 1}"

    def walk(node, command=None):
        if node.type == "ERROR":
            found.append(f"{at(node)}: does not parse (ERROR): {node.text[:60]!r}")
        elif node.is_missing:
            found.append(f"{at(node)}: does not parse (MISSING {node.type})")
        elif node.type in PS7_NODES:
            found.append(f"{at(node)}: {PS7_NODES[node.type]}, which Windows PowerShell 5.1 lacks")
        elif not node.is_named and node.type in PS7_TOKENS:
            found.append(f"{at(node)}: {PS7_TOKENS[node.type]}, which Windows PowerShell 5.1 lacks")
        if node.type == "command":
            name = node.child_by_field_name("command_name")
            command = name.text.decode().lower() if name is not None else None
            if command in PS7_COMMANDS:
                found.append(f"{at(node)}: {command} is a PowerShell 7 cmdlet, which Windows PowerShell 5.1 lacks")
        if node.type == "command_parameter" and command in PS7_PARAMETERS:
            param = node.text.decode().lstrip("-").rstrip(":").lower()
            if param in PS7_PARAMETERS[command]:
                found.append(f"{at(node)}: {command} -{param} is PowerShell 7 only")
        for child in node.children:
            walk(child, command)

    walk(tree.root_node)
    return found


# Deliberately broken copies: each must be caught, or the check is not worth running.
BREAKS = [
    ("a brace left open", lambda s: s.replace("exit $code\n", "if ($code) {\nexit $code\n")),
    ("&& between commands", lambda s: s.replace("Set-PrivateAcl $dir\n", "Set-PrivateAcl $dir && Write-Output ok\n", 1)),
    ("the ?? operator", lambda s: s.replace("$code = $LASTEXITCODE", "$code = $LASTEXITCODE ?? 1")),
    ("a ternary", lambda s: s.replace("$code = $LASTEXITCODE", "$code = $LASTEXITCODE ? $LASTEXITCODE : 1")),
    ("ForEach-Object -Parallel", lambda s: s.replace("ForEach-Object { \"$_\" }", "ForEach-Object -Parallel { \"$_\" }")),
    ("-SkipCertificateCheck", lambda s: s.replace("-UseBasicParsing", "-UseBasicParsing -SkipCertificateCheck")),
    ("an unclosed string", lambda s: s.replace("'SilentlyContinue'  #", "'SilentlyContinue  #", 1)),
]


def main(argv):
    self_test = "--self-test" in argv
    files = [a for a in argv if a != "--self-test"]
    if not files:
        print(__doc__.strip())
        return 2
    failed = False
    for path in files:
        text = open(path, encoding="utf-8-sig").read()
        found = problems(text.encode())
        for p in found:
            print(f"{path}: {p}")
        failed |= bool(found)
        if self_test:
            for what, breaker in BREAKS:
                broken = breaker(text)
                if broken == text:
                    print(f"{path}: self-test: the break '{what}' no longer applies to this file; update it")
                    failed = True
                else:
                    caught = problems(broken.encode())
                    if not caught:
                        print(f"{path}: self-test: a copy with {what} was NOT caught")
                        failed = True
                    else:
                        print(f"{path}: self-test: a copy with {what}: {caught[0]}")
            if not failed:
                print(f"{path}: self-test: all {len(BREAKS)} broken copies caught")
        if not found:
            print(f"{path}: parses as Windows PowerShell 5.1 (tree-sitter-pwsh), no PowerShell 7 syntax")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
