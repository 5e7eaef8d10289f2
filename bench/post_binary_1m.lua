-- 1 MiB float32 tensor (262,144 elements: -1.0 and 1.0 alternating) as application/octet-stream.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
local minus_one = string.char(0x00, 0x00, 0x80, 0xBF)
local one = string.char(0x00, 0x00, 0x80, 0x3F)
wrk.body = string.rep(minus_one .. one, 131072)
