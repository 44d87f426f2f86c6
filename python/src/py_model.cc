// The model from Python: MF over the facade. Training releases the GIL; the per-epoch callback
// takes it back, and a KeyboardInterrupt (Ctrl-C) or an exception there stops training cleanly
// (the model keeps its best epoch so far) before it is raised.
#include <fmt/format.h>
#include <pybind11/stl.h>

#include "py_common.h"

namespace mfrec::py {
namespace {

using json = nlohmann::json;

json to_json(const pyb::handle& v) {
  if (v.is_none()) return nullptr;
  if (pyb::isinstance<pyb::bool_>(v)) return v.cast<bool>();
  if (pyb::isinstance<pyb::int_>(v)) {
    const auto i = v.cast<pyb::int_>();
    if (PyLong_AsLongLong(i.ptr()) < 0 && !PyErr_Occurred()) return v.cast<int64_t>();
    PyErr_Clear();
    return v.cast<uint64_t>();
  }
  if (pyb::isinstance<pyb::float_>(v)) return v.cast<double>();
  if (pyb::isinstance<pyb::str>(v)) return v.cast<std::string>();
  if (pyb::hasattr(v, "item")) return to_json(v.attr("item")());  // numpy scalars
  throw pyb::type_error(fmt::format("an option value must be a number, a str, a bool or None, not {}",
                                    pyb::str(pyb::type::of(v).attr("__name__")).cast<std::string>()));
}

// JSON to Python objects; NaN stays NaN (JSON text would make it null).
pyb::object from_json(const json& j) {
  switch (j.type()) {
    case json::value_t::null: return pyb::none();
    case json::value_t::boolean: return pyb::bool_(j.get<bool>());
    case json::value_t::number_integer: return pyb::int_(j.get<int64_t>());
    case json::value_t::number_unsigned: return pyb::int_(j.get<uint64_t>());
    case json::value_t::number_float: return pyb::float_(j.get<double>());
    case json::value_t::string: return pyb::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      pyb::list out;
      for (const json& x : j) out.append(from_json(x));
      return out;
    }
    case json::value_t::object: {
      pyb::dict out;
      for (const auto& [k, v] : j.items()) out[pyb::str(k)] = from_json(v);
      return out;
    }
    default: return pyb::none();
  }
}

pyb::dict stats_dict(const EpochStats& s) {
  pyb::dict d;
  d["epoch"] = s.epoch, d["loss"] = s.loss, d["train_rmse"] = s.train_rmse, d["val_rmse"] = s.val_rmse;
  d["val_ndcg"] = s.val_ndcg, d["seconds"] = s.seconds, d["samples_per_second"] = s.samples_per_second;
  return d;
}

// A model from Python: the facade, and whether its ids go back to Python as integers.
struct Model {
  MF mf;
  bool int_users = false, int_items = false;
  json options;  // as given, for repr and pickling of an unfitted model

  void fitted() {
    int_users = integer_ids(mf.model().users);
    int_items = integer_ids(mf.model().items);
  }
  uint32_t user(const pyb::handle& id) const { return mf.user_index(id_text(id)); }
  uint32_t item(const pyb::handle& id) const { return mf.item_index(id_text(id)); }
  pyb::tuple pair(const std::vector<Scored>& list, bool items) const {
    std::vector<uint32_t> index(list.size());
    pyb::array_t<float> scores(pyb::ssize_t(list.size()));
    for (size_t k = 0; k < list.size(); ++k) index[k] = list[k].index, scores.mutable_data()[k] = list[k].score;
    const IdMap& ids = items ? mf.model().items : mf.model().users;
    return pyb::make_tuple(ids_of(ids, items ? int_items : int_users, index.data(), index.size()), scores);
  }
};

std::unique_ptr<Model> make(const pyb::dict& kwargs) {
  json j = json::object();
  for (const auto& [k, v] : kwargs) j[k.cast<std::string>()] = to_json(v);
  auto m = std::make_unique<Model>(Model{MF(TrainOptions::from_json(j)), false, false, j});
  return m;
}

std::unique_ptr<Model> loaded(mfrec::Model model) {
  auto m = std::make_unique<Model>(Model{MF(std::move(model)), false, false, json::object()});
  m->options = m->mf.model().meta.value("options", json::object());
  m->fitted();
  return m;
}

void fit(Model& m, const Data& train, const Data* val, const pyb::object& callback, bool resume) {
  if (val && val->base != train.base)
    throw pyb::value_error("`val` is not a part of the same data set as `train` (split them together with mfrec.split)");
  Split s;
  s.train = train.part;
  if (val) s.val = val->part;
  s.kind = train.kind;
  std::optional<pyb::error_already_set> raised;
  EpochCallback on_epoch = [&](const EpochStats& st) {
    pyb::gil_scoped_acquire hold;
    if (PyErr_CheckSignals() != 0) {
      raised.emplace();
      return false;
    }
    if (callback.is_none()) return true;
    try {
      const pyb::object go_on = callback(stats_dict(st));
      return go_on.is_none() || go_on.cast<bool>();
    } catch (pyb::error_already_set& e) {
      raised.emplace(std::move(e));
      return false;
    }
  };
  {
    pyb::gil_scoped_release free;
    m.mf.fit(*train.base, s, on_epoch, resume);
  }
  m.fitted();
  if (raised) throw *raised;
}

// A read-only array over a table of the model, kept alive by the Python object that owns it.
template <typename T>
pyb::array view(const pyb::object& owner, const T* data, std::vector<pyb::ssize_t> shape) {
  pyb::array a(pyb::dtype::of<T>(), shape, data, owner);
  pyb::detail::array_proxy(a.ptr())->flags &= ~pyb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

pyb::array factors(const pyb::object& self, bool users) {
  const mfrec::Model& m = self.cast<const Model&>().mf.model();
  const FactorMatrix& f = users ? m.P : m.Q;
  const std::vector<pyb::ssize_t> shape{pyb::ssize_t(f.rows()), pyb::ssize_t(f.cols())};
  if (f.precision() == Precision::fp32) return view(self, static_cast<const float*>(f.raw()), shape);
  if (f.precision() == Precision::fp16) {
    pyb::array a(pyb::dtype("float16"), shape, f.raw(), self);
    pyb::detail::array_proxy(a.ptr())->flags &= ~pyb::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    return a;
  }
  pyb::array_t<float> out(shape);  // bf16 has no numpy type: a float32 copy
  for (size_t r = 0; r < f.rows(); ++r) f.read_row(r, out.mutable_data() + r * f.cols());
  return out;
}

RankingProtocol protocol_of(const std::string& name) {
  if (name == "full") return RankingProtocol::full;
  if (name == "sampled") return RankingProtocol::sampled;
  if (name == "users") return RankingProtocol::users;
  throw pyb::value_error("`protocol` must be full, sampled or users");
}

pyb::dict evaluate(const Model& m, const Data& test, size_t k, const std::optional<std::string>& protocol,
                   size_t negatives, uint64_t seed) {
  RankingOptions o = ranking_protocol(test.kind, seed);
  if (protocol) o.protocol = protocol_of(*protocol);
  o.k = k, o.negatives = negatives;
  const Evaluation e = [&] {
    pyb::gil_scoped_release free;
    return m.mf.evaluate(*test.base, test.part, o);
  }();
  json j = e.ranking.to_json();
  j["rmse"] = e.error.rmse, j["mae"] = e.error.mae, j["count"] = e.error.count, j["cold"] = e.error.cold;
  return from_json(j);
}

}  // namespace

void bind_model(pyb::module_& m) {
  pyb::class_<Model>(m, "Model")
      .def(pyb::init(&make))
      .def_static("load", [](const std::string& path) { return loaded(load_model(path)); })
      .def_static("from_bytes", [](const pyb::bytes& b) { return loaded(decode_model(std::string_view(b))); })
      .def("to_bytes", [](const Model& m) { return pyb::bytes(encode_model(m.mf.model())); })
      .def("fit", &fit, pyb::arg("train"), pyb::arg("val") = nullptr, pyb::arg("callback") = pyb::none(),
           pyb::arg("resume") = false)
      .def_property_readonly("fitted", [](const Model& m) { return m.mf.fitted(); })
      .def_property_readonly("options", [](const Model& m) { return from_json(m.options); })
      .def_property_readonly("info", [](const Model& m) {
        return from_json(m.mf.model().info());
      })
      .def_property_readonly("history", [](const Model& m) {
        pyb::list out;
        for (const EpochStats& s : m.mf.result().train.history) out.append(stats_dict(s));
        return out;
      })
      .def_property_readonly("result", [](const Model& m) {
        const FitResult& r = m.mf.result();
        json j = {{"best_epoch", r.train.best_epoch}, {"train_seconds", r.train.train_seconds},
                  {"diverged", r.train.diverged}, {"early_stopped", r.train.early_stopped},
                  {"stopped", r.train.stopped}, {"val_rmse", r.val.rmse}, {"test_rmse", r.test.rmse}};
        if (r.val_ranking.k) j["val_ranking"] = r.val_ranking.to_json();
        return from_json(j);
      })
      .def("save", [](const Model& m, const std::string& path) { m.mf.save(path); })
      .def("export", [](const Model& m, const std::string& dir) { return m.mf.export_to(dir); })
      .def_property_readonly("user_factors", [](const pyb::object& self) { return factors(self, true); })
      .def_property_readonly("item_factors", [](const pyb::object& self) { return factors(self, false); })
      .def_property_readonly("user_bias", [](const pyb::object& self) {
        const auto& v = self.cast<const Model&>().mf.model().user_bias;
        return view(self, v.data(), {pyb::ssize_t(v.size())});
      })
      .def_property_readonly("item_bias", [](const pyb::object& self) {
        const auto& v = self.cast<const Model&>().mf.model().item_bias;
        return view(self, v.data(), {pyb::ssize_t(v.size())});
      })
      .def_property_readonly("user_mean", [](const pyb::object& self) {
        const auto& v = self.cast<const Model&>().mf.model().user_mean;
        return view(self, v.data(), {pyb::ssize_t(v.size())});
      })
      .def_property_readonly("user_ids", [](const Model& m) {
        std::vector<uint32_t> all(m.mf.model().n_users());
        for (uint32_t k = 0; k < all.size(); ++k) all[k] = k;
        return ids_of(m.mf.model().users, m.int_users, all.data(), all.size());
      })
      .def_property_readonly("item_ids", [](const Model& m) {
        std::vector<uint32_t> all(m.mf.model().n_items());
        for (uint32_t k = 0; k < all.size(); ++k) all[k] = k;
        return ids_of(m.mf.model().items, m.int_items, all.data(), all.size());
      })
      .def("titles", [](const Model& m, const pyb::object& items) {
        pyb::list out;
        for (const pyb::handle& id : items) out.append(pyb::str(m.mf.model().catalog.titles.at(m.item(id))));
        return out;
      })
      .def("user_index", [](const Model& m, const pyb::object& id) { return m.user(id); })
      .def("item_index", [](const Model& m, const pyb::object& id) { return m.item(id); })
      .def("predict", [](const Model& m, const pyb::object& users, const pyb::object& items, bool allow_unknown) {
        const pyb::list u(users), i(items);
        if (u.size() != i.size()) throw pyb::value_error(fmt::format("{} users but {} items: give one of each per pair", u.size(), i.size()));
        std::vector<uint32_t> ui(u.size()), ii(i.size());
        // A repeated id is looked up once: the ids of a batch repeat (all pairs of a user).
        std::unordered_map<std::string, uint32_t> seen_u, seen_i;
        auto index = [&](const pyb::handle& h, bool user, std::unordered_map<std::string, uint32_t>& cache) {
          std::string t = id_text(h);
          if (auto it = cache.find(t); it != cache.end()) return it->second;
          const IdMap& ids = user ? m.mf.model().users : m.mf.model().items;
          const auto found = ids.find(t);
          if (!found && !allow_unknown) return user ? m.mf.user_index(t) : m.mf.item_index(t);  // throws
          const uint32_t x = found ? *found : mfrec::Model::npos;
          cache.emplace(std::move(t), x);
          return x;
        };
        for (size_t k = 0; k < u.size(); ++k) ui[k] = index(u[k], true, seen_u), ii[k] = index(i[k], false, seen_i);
        std::vector<float> out;
        {
          pyb::gil_scoped_release free;
          out = m.mf.predict(ui, ii);
        }
        return pyb::array_t<float>(pyb::ssize_t(out.size()), out.data());
      }, pyb::arg("users"), pyb::arg("items"), pyb::arg("allow_unknown") = false)
      .def("recommend", [](const Model& m, const pyb::object& user, size_t n, bool filter, const pyb::object& exclude) {
        const uint32_t u = m.user(user);
        std::vector<uint32_t> skip;
        if (!exclude.is_none())
          for (const pyb::handle& id : exclude) skip.push_back(m.item(id));
        return m.pair(m.mf.recommend(u, n, !filter, skip), true);
      }, pyb::arg("user"), pyb::arg("N") = 10, pyb::arg("filter_already_liked_items") = true, pyb::arg("filter_items") = pyb::none())
      .def("recommend_batch", [](const Model& m, const pyb::object& users, size_t n, bool filter) {
        std::vector<uint32_t> idx;
        for (const pyb::handle& id : users) idx.push_back(m.user(id));
        std::vector<std::vector<Scored>> lists;
        {
          pyb::gil_scoped_release free;
          lists = m.mf.recommend(idx, n, !filter);
        }
        pyb::array_t<float> scores({pyb::ssize_t(idx.size()), pyb::ssize_t(n)});
        std::vector<uint32_t> flat(idx.size() * n, 0);
        std::vector<bool> empty(flat.size(), true);
        float* s = scores.mutable_data();
        for (size_t x = 0; x < lists.size(); ++x)
          for (size_t k = 0; k < n; ++k) {
            const bool has = k < lists[x].size();
            flat[x * n + k] = has ? lists[x][k].index : 0;
            s[x * n + k] = has ? lists[x][k].score : std::nanf("");
            empty[x * n + k] = !has;
          }
        pyb::object ids = ids_of(m.mf.model().items, m.int_items, flat.data(), flat.size());
        pyb::object np = pyb::module_::import("numpy");
        pyb::object arr = m.int_items ? ids : np.attr("array")(ids, pyb::arg("dtype") = "object");
        for (size_t k = 0; k < flat.size(); ++k)  // a list shorter than N: -1 (or None) and NaN
          if (empty[k]) arr[pyb::int_(k)] = m.int_items ? pyb::object(pyb::int_(-1)) : pyb::object(pyb::none());
        return pyb::make_tuple(arr.attr("reshape")(idx.size(), n), scores);
      }, pyb::arg("users"), pyb::arg("N") = 10, pyb::arg("filter_already_liked_items") = true)
      .def("recommend_new", [](const Model& m, const pyb::dict& ratings, size_t n) {
        std::vector<FoldInRating> r;
        for (const auto& [id, v] : ratings) r.push_back({m.item(id), v.cast<float>()});
        return m.pair(m.mf.recommend_new(r, n), true);
      }, pyb::arg("ratings"), pyb::arg("N") = 10)
      .def("similar_items", [](const Model& m, const pyb::object& item, size_t n, uint32_t min_count) {
        return m.pair(m.mf.similar_items(m.item(item), n, min_count), true);
      }, pyb::arg("item"), pyb::arg("N") = 10, pyb::arg("min_count") = kDefaultMinCount)
      .def("similar_users", [](const Model& m, const pyb::object& user, size_t n) {
        return m.pair(m.mf.similar_users(m.user(user), n), false);
      }, pyb::arg("user"), pyb::arg("N") = 10)
      .def("evaluate", &evaluate, pyb::arg("test"), pyb::arg("k") = 10, pyb::arg("protocol") = pyb::none(),
           pyb::arg("negatives") = 100, pyb::arg("seed") = 0);
  m.def("cross_validate", [](const pyb::dict& kwargs, const Data& data, int folds, uint64_t seed, size_t k) {
    if (data.role != "all") throw pyb::value_error("cross-validate a whole data set, not a part of a split");
    const std::unique_ptr<Model> proto = make(kwargs);
    Dataset d = *data.base;
    d.ratings = data.part;
    CrossValidation cv;
    {
      pyb::gil_scoped_release free;
      cv = cross_validate(proto->mf.options(), d, folds, seed, k);
    }
    return from_json(cv.to_json());
  }, pyb::arg("options"), pyb::arg("data"), pyb::arg("folds") = 5, pyb::arg("seed") = 0, pyb::arg("k") = 10);
  m.def("default_options", [] {
    json all = json::object();
    for (const std::string& name : optimizer_names()) {
      TrainOptions o;
      o.optimizer = name;
      all.update(o.to_json());
    }
    all["optimizer"] = TrainOptions{}.optimizer;
    all["threads"] = 0;
    all["reg_bias"] = nullptr;
    return from_json(all);
  });
  m.def("engines", [] { return optimizer_names(); });
}

}  // namespace mfrec::py
