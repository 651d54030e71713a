// vm/linux/fstrace.cpp — forwards the ext2 driver's read events to the trace stream
// (TraceKind::FsRead, see vm/trace/trace.h) and its read and write events to the
// inspector's records (RecKind::FsRead / FsWrite, vm/trace/record.h), at no cost when
// nobody listens.
#include <cinttypes>
#include <cstdio>

#include "vm/fs/ext2_vfs.h"
#include "vm/linux/kernel.h"

namespace gb {

void attach_ext2_trace(Kernel& k, Ext2Fs& fs) {
  Kernel* kp = &k;
  fs.set_trace([kp](const fs::Ext2TraceEvent& e) {
    Task* p = kp->current;
    if (kp->records.enabled()) {  // the inspector's record: numbers only
      TraceRecord r = kp->records.make(e.write ? RecKind::FsWrite : RecKind::FsRead, p ? p->pid : 0, p ? p->tid : 0, p ? p->cpu.icount : 0);
      r.nr = (uint16_t)e.kind;
      r.ret = (int64_t)e.source;
      r.a[0] = e.ino;
      r.a[1] = e.lblk;
      r.a[2] = e.pblk;
      r.a[3] = e.nblocks;
      r.a[4] = e.bytes_fetched;
      r.a[5] = (uint64_t)e.chunk;
      kp->records.push(r);
    }
    if (!kp->trace.enabled() || e.write) return;  // (the text stream has reads only)
    TraceEvent ev = kp->trace.make(TraceKind::FsRead, p ? p->pid : 0, p ? p->tid : 0, p ? p->cpu.icount : 0);
    ev.nr = (uint16_t)e.kind;
    ev.ret = (int64_t)e.source;
    ev.args[0] = e.ino;
    ev.args[1] = e.lblk;
    ev.args[2] = e.pblk;
    ev.args[3] = e.nblocks;
    ev.args[4] = e.bytes_fetched;
    ev.args[5] = (uint64_t)e.chunk;
    static const char* const kSrc[] = {"cache", "overlay", "network"};
    char text[200];
    snprintf(text, sizeof text, "ext2 %s ino %u lblk %" PRIu64 " pblk %" PRIu64 " x%u from %s (%" PRIu64 " bytes fetched, chunk %" PRId64 ")",
             fs::ext2_read_kind_name(e.kind), e.ino, e.lblk, e.pblk, e.nblocks,
             (unsigned)e.source < 3 ? kSrc[(unsigned)e.source] : "?", e.bytes_fetched, e.chunk);
    ev.set_text(text);
    kp->trace.emit(ev);
  });
}

}  // namespace gb
