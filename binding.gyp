{
  "targets": [
    {
      "target_name": "sockscope_scan",
      "sources": ["native/scan.cc", "native/fast.cc", "native/live.cc"],
      "cflags_cc": ["-O2", "-std=c++17", "-fno-exceptions"],
      "defines": ["NAPI_VERSION=6"],
      "libraries": ["-lpthread"]
    }
  ]
}
