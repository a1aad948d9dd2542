"""walkthrough.py DOC.md: runs the console blocks of a walkthrough in order and checks each command's
output against the one the document shows, so that the document cannot drift from the program.

In a ```console block, a line starting with "$ " is a command (run by bash, in the environment the
test sets: SOURCE, TARGET, GODWIT_SOURCE_URL, GODWIT_TARGET_URL, godwit on PATH; in WALKTHROUGH_DIR); the lines after it,
up to the next command, are what it prints (stdout, then stderr).  Each shown line must appear in
that order in what it printed; "…" in a shown line stands for any text (a time, a position, an id),
and other printed lines may come between them.  "(exit N)" as a shown line says the command's exit
status (0 when not said).  With --record, the commands run and their real output is printed instead,
for writing the document."""
import os
import re
import subprocess
import sys

record = "--record" in sys.argv
doc = [a for a in sys.argv[1:] if a != "--record"][0]
text = open(doc, encoding="utf-8").read()
blocks = re.findall(r"```console\n(.*?)```", text, re.S)
steps = []
for block in blocks:
    for line in block.split("\n"):
        if line.startswith("$ "):
            steps.append([line[2:], []])
        elif steps and line.strip():
            steps[-1][1].append(line)
failures = 0
for cmd, shown in steps:
    # A command continued over lines ends them with a backslash in the document.
    run = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, cwd=os.environ.get("WALKTHROUGH_DIR"))
    out = (run.stdout + run.stderr).split("\n")
    if record:
        print("$ " + cmd)
        print("\n".join(l for l in out if l))
        if run.returncode:
            print("(exit %d)" % run.returncode)
        continue
    want_exit = 0
    pos = 0
    for line in shown:
        m = re.fullmatch(r"\(exit (\d+)\)", line.strip())
        if m:
            want_exit = int(m.group(1))
            continue
        pattern = "^" + ".*".join(re.escape(p) for p in line.rstrip().split("…")) + "$"
        while pos < len(out) and not re.match(pattern, out[pos].rstrip()):
            pos += 1
        if pos == len(out):
            print("FAIL: `%s` did not print a line like: %s\n  it printed:\n    %s" %
                  (cmd, line, "\n    ".join(out[:40])))
            failures += 1
            break
        pos += 1
    if run.returncode != want_exit:
        print("FAIL: `%s` exited %d, the document says %d:\n    %s" %
              (cmd, run.returncode, want_exit, "\n    ".join(out[:20])))
        failures += 1
print("%d commands, %d failures" % (len(steps), failures), file=sys.stderr)
sys.exit(1 if failures else 0)
