"""The JSON peer for bench/run.sh: FastAPI + orjson + NumPy, the way a Python team would serve leaky_relu_.

POST /ops/leaky_relu takes {"data": [...], "dtype"?: "float32", "negative_slope"?: 0.01} and answers
{"dtype", "shape", "data"}, like tensor-service's JSON format. Run: python app.py PORT (prints "listening on URL").
"""
import sys

import numpy as np
import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/ops/leaky_relu")
async def leaky_relu(request: Request):
    body = orjson.loads(await request.body())
    x = np.asarray(body["data"], dtype=body.get("dtype", "float32"))
    slope = x.dtype.type(body.get("negative_slope", 0.01))
    y = np.where(x > 0, x, x * slope)
    answer = {"dtype": str(y.dtype), "shape": list(y.shape), "data": y}
    return Response(orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json")


if __name__ == "__main__":
    port = int(sys.argv[1])
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
