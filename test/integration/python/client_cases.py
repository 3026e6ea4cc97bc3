"""Cases of test/integration/python-client.test.ts, run by /usr/bin/python3 against a live
`featurescope serve`: `client_cases.py CASE [ARG]` prints one JSON object for the test to check. The
server's address comes in FEATURESCOPE_URL, not argv (a token on a command line is visible to `ps`).
With FEATURESCOPE_TEST_HIDE_NUMPY=1 numpy is made unimportable first, so the list path runs."""

import json
import os
import sys

if os.environ.get("FEATURESCOPE_TEST_HIDE_NUMPY") == "1":
    sys.modules["numpy"] = None  # `import numpy` now raises ImportError

import featurescope_client as fc
from featurescope_client import AuthError, ConnectionClosed, Featurescope, FeaturescopeError


def error_of(fn):
    try:
        fn()
    except FeaturescopeError as e:
        return {"type": type(e).__name__, "code": e.code, "field": e.field, "message": e.message, **({"status": e.status} if isinstance(e, AuthError) else {}), **({"closeCode": e.close_code} if isinstance(e, ConnectionClosed) else {})}
    except ValueError as e:
        return {"type": "ValueError", "message": str(e)}
    return None


def case_run(url, prompt):
    with Featurescope.connect(url) as fs:
        r = fs.run(prompt=prompt, top_k=5, generate={"maxNewTokens": 4})
        return {
            "model": r.model,
            "tokens": r.raw["tokens"],
            "next": r.raw["next"],
            "continuation": r.continuation,
            "arrayType": type(r.token_ids).__name__,
            "tokenIds": [int(i) for i in r.token_ids],
            "nextProbs": [float(p) for p in r.next_probs],
            "top": r.top(2),
        }


def case_fragmented(url, prompt):
    # Every frame we send is now a run of 7-byte fragments: the server must reassemble them.
    fc.FRAGMENT_BYTES = 7
    with Featurescope.connect(url) as fs:
        r = fs.run(prompt=prompt, top_k=5, generate={"maxNewTokens": 4})
        return {"tokens": r.raw["tokens"], "next": r.raw["next"]}


def case_features(url, sae_name):
    with Featurescope.connect(url) as fs:
        found = fs.sae_features(sae_name, q="cat")
        listed = fs.sae_features(sae_name, sort="density", order="desc", limit=10)
        page = fs.feature(sae_name, 0)
        values_type = type(page["examples"][0]["values"]).__name__
        for example in page["examples"]:
            example["values"] = [float(v) for v in example["values"]]
        densities = listed.column("density")
        return {
            "found": {"rows": list(found), "total": found.total, "totalIsLowerBound": found.total_is_lower_bound},
            "listed": [row["idx"] for row in listed],
            "densities": [float(d) for d in densities],
            "columnType": type(densities).__name__,
            "page": page,
            "valuesType": values_type,
            "saeId": fs.sae_id(sae_name),
        }


def case_job(url, _):
    with Featurescope.connect(url) as fs:
        job = fs.start_job("engine.benchmark", {"size": 32, "seconds": 0.5})
        seen = []
        result = job.wait(on_progress=seen.append)
        # The same job looked up afresh, after it ended: its outcome comes from jobs.get.
        again = fs.job(job.id)
        return {"jobId": job.id, "progress": seen, "result": result, "state": job.state, "again": {"state": again.state, "result": again.result()}}


def case_cancel(url, _):
    with Featurescope.connect(url) as fs:
        job = fs.start_job("engine.benchmark", {"size": 32, "seconds": 600})
        first = next(job.progress())
        cancelled = job.cancel()
        err = error_of(job.wait)
        return {"jobId": job.id, "first": first, "cancelled": cancelled, "error": err, "state": job.state, "cancelAgain": job.cancel()}


def case_errors(url, model_free_path):
    with Featurescope.connect(url) as fs:
        out = {
            "invalid": error_of(lambda: fs.call("model.run", {"model": "m", "prompt": "hi", "topK": 0})),
            "unknown": error_of(lambda: fs.call("no.such.command", {})),
            "noJob": error_of(lambda: fs.job("job-nope")),
            "noSae": error_of(lambda: fs.sae_features("no-such-sae")),
            # A job whose work fails: the reply is a job id, the failure comes as job.failed.
            "failedJob": error_of(lambda: fs.start_job("sae.analyze", {"saeId": 999999, "corpus": {"kind": "txt", "path": model_free_path}}).wait()),
        }
        # A frame that is not JSON {id, command, input}: the server closes with 1003, and the next call says so.
        fs._ws.send_text("not json")
        out["closed"] = error_of(fs.doctor)
        return out


def case_bad_token(url, _):
    wrong = url[: -1] + ("0" if url[-1] != "0" else "1")
    no_token = url.split("?")[0]
    return {"wrong": error_of(lambda: Featurescope.connect(wrong)), "none": error_of(lambda: Featurescope.connect(no_token))}


CASES = {"run": case_run, "features": case_features, "fragmented": case_fragmented, "job": case_job, "cancel": case_cancel, "errors": case_errors, "bad-token": case_bad_token}

if __name__ == "__main__":
    name, arg = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    url = os.environ["FEATURESCOPE_URL"]
    print(json.dumps(CASES[name](url, arg)))
