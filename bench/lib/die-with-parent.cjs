// Preloaded (--require) into every process the bench starts: when the bench process dies — even by
// SIGKILL, when it can clean up nothing — this process is re-parented, notices within half a
// second, and exits. Nothing the bench started outlives it.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.exit(1);
}, 500).unref();
