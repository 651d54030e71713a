// vm/linux/unix_gc.cpp — garbage collection of unix sockets that are only reachable
// through descriptors in flight (SCM_RIGHTS), as Linux's unix_gc.
//
// A socket sent over another socket (or over itself) and then closed everywhere is
// held only by the message that carries it; two such sockets carrying each other form
// a cycle no close will ever free. The collector:
//   1. counts, for every unix socket description, how many queued messages carry it;
//   2. candidates: descriptions whose every reference is such a message (no fd, no
//      process holds them);
//   3. subtracts the references that come from candidates' own queues; a candidate
//      with references left is reachable from outside, and so is everything in its
//      queue (transitively);
//   4. the remaining candidates are garbage: the descriptors in their queues are
//      dropped, which breaks the cycles and frees the sockets.
// Queues include the accept queue's embryos (a listening socket in flight holds the
// messages sent to connections nobody accepted). Run every kGcEvery descriptor
// passes (sys_socket.cpp), which bounds what cycles can hold between two runs.
#include <map>
#include <set>

#include "vm/linux/socket.h"

namespace gb {

namespace {

Socket* socket_of(const OpenFile* f) {
  if (!f || !f->node) return nullptr;
  auto* s = dynamic_cast<Socket*>(f->node.get());
  return s && s->domain == LAF_UNIX ? s : nullptr;
}

}  // namespace

// Visits every descriptor queued at `s` (its receive queue and its embryos').
template <class F> void Socket::for_each_inflight(F fn) {
  for (SockMsg& m : rq_)
    for (FileRef& f : m.fds) fn(f);
  for (auto& e : accq_)
    for (SockMsg& m : e->rq_)
      for (FileRef& f : m.fds) fn(f);
}

void Socket::drop_inflight(std::vector<FileRef>& out) {
  for (SockMsg& m : rq_) {
    for (FileRef& f : m.fds) out.push_back(std::move(f));
    m.fds.clear();
  }
  for (auto& e : accq_)
    for (SockMsg& m : e->rq_) {
      for (FileRef& f : m.fds) out.push_back(std::move(f));
      m.fds.clear();
    }
}

size_t unix_gc(SocketRegistry& reg) {
  bool& running = reg.gc_running;
  if (running) return 0;  // dropping garbage closes sockets, which must not recurse
  running = true;
  std::map<OpenFile*, long> inflight;  // description -> queued references
  std::map<OpenFile*, long> uses;      // description -> all references
  for (Socket* s : reg.unix_live)
    s->for_each_inflight([&](FileRef& f) {
      if (!socket_of(f.get())) return;
      inflight[f.get()]++;
      uses[f.get()] = f.use_count();
    });
  std::map<OpenFile*, long> cand;  // candidate -> references from outside candidates
  for (auto& [f, n] : inflight)
    if (uses[f] == n) cand[f] = n;
  for (auto& [f, n] : cand)
    socket_of(f)->for_each_inflight([&](FileRef& g) {
      auto it = cand.find(g.get());
      if (it != cand.end()) it->second--;
    });
  std::set<OpenFile*> alive;
  std::vector<OpenFile*> work;
  for (auto& [f, n] : cand)
    if (n > 0) { alive.insert(f); work.push_back(f); }
  while (!work.empty()) {
    OpenFile* f = work.back();
    work.pop_back();
    socket_of(f)->for_each_inflight([&](FileRef& g) {
      if (cand.count(g.get()) && alive.insert(g.get()).second) work.push_back(g.get());
    });
  }
  std::vector<FileRef> garbage;
  size_t n = 0;
  for (auto& [f, refs] : cand)
    if (!alive.count(f)) { socket_of(f)->drop_inflight(garbage); n++; }
  garbage.clear();  // the cycles break here: sockets close and free
  running = false;
  return n;
}

}  // namespace gb
