#include "dist/share.h"

#include <string>

#include "dist/partition.h"
#include "train/parts/ials_row.h"

namespace mfrec::dist {
namespace {

// The ids to every rank: their lengths, then their bytes.
IdMap share_ids(Comm& comm, const IdMap* ids) {
  uint64_t sizes[2] = {0, 0};
  std::vector<uint32_t> lengths;
  std::string bytes;
  if (comm.rank() == 0) {
    for (const auto& name : ids->names()) lengths.push_back(uint32_t(name.size())), bytes += name;
    sizes[0] = lengths.size(), sizes[1] = bytes.size();
  }
  comm.broadcast(sizes, sizeof sizes);
  lengths.resize(sizes[0]);
  bytes.resize(sizes[1]);
  comm.broadcast(lengths.data(), lengths.size() * sizeof(uint32_t));
  comm.broadcast(bytes.data(), bytes.size());
  if (comm.rank() == 0) return {};
  std::vector<std::string> names(lengths.size());
  size_t at = 0;
  for (size_t k = 0; k < names.size(); ++k) names[k] = bytes.substr(at, lengths[k]), at += lengths[k];
  return IdMap::from_names(std::move(names));
}

template <typename T>
void send_vector(Comm& comm, const std::vector<T>& v, int to) {
  comm.send(v.data(), v.size() * sizeof(T), to);
}

template <typename T>
void receive_vector(Comm& comm, std::vector<T>& v, size_t n) {
  v.resize(n);
  comm.receive(v.data(), n * sizeof(T), 0);
}

}  // namespace

Share share_data(Comm& comm, const Ratings* train, const IdMap* users, const IdMap* items, const TrainOptions& o) {
  Share s;
  const bool root = comm.rank() == 0;
  s.users = share_ids(comm, users);
  s.items = share_ids(comm, items);
  s.ratings = root ? train->size() : 0;
  comm.broadcast(&s.ratings, sizeof s.ratings);
  // iALS's confidences need each user's whole history (the recency weights): made here, once.
  s.confidence = o.optimizer == "ials";
  if (!root) {
    uint64_t n = 0;
    comm.receive(&n, sizeof n, 0);
    receive_vector(comm, s.train.user, n);
    receive_vector(comm, s.train.item, n);
    receive_vector(comm, s.train.value, n);
    return s;
  }
  if (comm.size() == 1) return s;
  std::vector<float> confidence;
  if (s.confidence) confidence = confidences(*train, users->size(), o);
  const std::vector<float>& value = s.confidence ? confidence : train->value;
  const Ownership by_user = Ownership::of(*users, comm.size()), by_item = Ownership::of(*items, comm.size());
  for (int r = 1; r < comm.size(); ++r) {
    Ratings mine;
    for (size_t k = 0; k < train->size(); ++k)
      if (by_user.owner[train->user[k]] == r || by_item.owner[train->item[k]] == r)
        mine.user.push_back(train->user[k]), mine.item.push_back(train->item[k]), mine.value.push_back(value[k]);
    const uint64_t n = mine.size();
    comm.send(&n, sizeof n, r);
    send_vector(comm, mine.user, r);
    send_vector(comm, mine.item, r);
    send_vector(comm, mine.value, r);
  }
  return s;
}

}  // namespace mfrec::dist
