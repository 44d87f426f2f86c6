// Data sets from Python: a path as the CLI reads it, arrays (numpy, lists; int or str ids), a CSR
// user x item matrix (implicit's convention), and splits of them.
#include <charconv>

#include <fmt/format.h>
#include <pybind11/stl.h>

#include "py_common.h"

namespace mfrec::py {

bool integer_ids(const IdMap& ids) {
  for (const std::string& s : ids.names()) {
    int64_t v;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || std::to_string(v) != s) return false;
  }
  return true;
}

std::string id_text(const pyb::handle& id) {
  if (pyb::isinstance<pyb::str>(id)) return id.cast<std::string>();
  if (pyb::isinstance<pyb::bool_>(id)) throw pyb::type_error("an id must be an int or a str, not a bool");
  if (pyb::isinstance<pyb::int_>(id) || pyb::hasattr(id, "__index__"))
    return pyb::str(pyb::reinterpret_steal<pyb::object>(PyNumber_Index(id.ptr())).cast<pyb::int_>()).cast<std::string>();
  throw pyb::type_error(fmt::format("an id must be an int or a str, not {}", pyb::str(pyb::type::of(id).attr("__name__")).cast<std::string>()));
}

pyb::object ids_of(const IdMap& ids, bool as_int, const uint32_t* index, size_t n) {
  if (as_int) {
    pyb::array_t<int64_t> out(n);
    int64_t* p = out.mutable_data();
    for (size_t k = 0; k < n; ++k) {
      const std::string& s = ids.external(index[k]);
      std::from_chars(s.data(), s.data() + s.size(), p[k]);
    }
    return out;
  }
  pyb::list out(n);
  for (size_t k = 0; k < n; ++k) out[k] = pyb::str(ids.external(index[k]));
  return out;
}

namespace {

// One column of ids: an integer numpy array takes a fast path, anything else is read item by item.
class IdColumn {
 public:
  IdColumn(const pyb::object& column, const char* name) {
    if (pyb::isinstance<pyb::array>(column)) {
      const pyb::array a = column.cast<pyb::array>();
      if (a.ndim() != 1) throw pyb::value_error(fmt::format("`{}` must be one-dimensional", name));
      const char kind = a.dtype().kind();
      if (kind == 'i' || kind == 'u') {
        ints_ = pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast>::ensure(a);
        size_ = size_t(ints_.size());
        is_int_ = true;
        return;
      }
      if (kind == 'f') throw pyb::type_error(fmt::format("`{}` holds floats; ids must be integers or strings", name));
    }
    list_ = pyb::list(column);
    size_ = list_.size();
  }
  size_t size() const { return size_; }
  // The id at k; `buf` holds an integer's text.
  std::string_view at(size_t k, char (&buf)[24], std::string& text) const {
    if (is_int_) {
      const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, ints_.data()[k]);
      return {buf, size_t(end - buf)};
    }
    text = id_text(list_[k]);
    return text;
  }

 private:
  pyb::array_t<int64_t> ints_;
  pyb::list list_;
  size_t size_ = 0;
  bool is_int_ = false;
};

Data whole(Dataset d) {
  Data out;
  out.part = std::move(d.ratings);
  d.ratings = Ratings{};
  out.base = std::make_shared<const Dataset>(std::move(d));
  return out;
}

Data from_arrays(const pyb::object& users, const pyb::object& items, const pyb::object& ratings,
                 const pyb::object& timestamps, const std::string& name) {
  const IdColumn u(users, "users"), i(items, "items");
  if (u.size() != i.size())
    throw pyb::value_error(fmt::format("`users` has {} entries but `items` has {}", u.size(), i.size()));
  // A default array_t is an empty array, not a null one: has_r and has_t say whether they were given.
  pyb::array_t<float, pyb::array::c_style | pyb::array::forcecast> r;
  pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast> t;
  const bool has_r = !ratings.is_none(), has_t = !timestamps.is_none();
  if (has_r) {
    r = pyb::array_t<float, pyb::array::c_style | pyb::array::forcecast>::ensure(ratings);
    if (!r || r.ndim() != 1 || size_t(r.size()) != u.size())
      throw pyb::value_error(fmt::format("`ratings` must be {} numbers, one per (user, item)", u.size()));
  }
  if (has_t) {
    t = pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast>::ensure(timestamps);
    if (!t || t.ndim() != 1 || size_t(t.size()) != u.size())
      throw pyb::value_error(fmt::format("`timestamps` must be {} integers, one per (user, item)", u.size()));
  }
  DatasetBuilder b(name);
  b.reserve(u.size());
  char ub[24], ib[24];
  std::string us, is;
  for (size_t k = 0; k < u.size(); ++k) {
    const float value = has_r ? r.data()[k] : 1.0f;
    if (has_t) b.add(u.at(k, ub, us), i.at(k, ib, is), value, t.data()[k]);
    else b.add(u.at(k, ub, us), i.at(k, ib, is), value);
  }
  return whole(std::move(b).finish());
}

Data from_csr(const pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast>& indptr,
              const pyb::array_t<int64_t, pyb::array::c_style | pyb::array::forcecast>& indices,
              const pyb::array_t<float, pyb::array::c_style | pyb::array::forcecast>& data, size_t n_items) {
  const size_t rows = indptr.size() ? size_t(indptr.size() - 1) : 0;
  if (indices.size() != data.size()) throw pyb::value_error("the CSR matrix's indices and data differ in length");
  DatasetBuilder b("the CSR matrix");
  b.reserve(size_t(data.size()));
  const int64_t* p = indptr.data();
  char ub[24], ib[24];
  for (size_t row = 0; row < rows; ++row) {
    if (p[row] < 0 || p[row] > p[row + 1] || p[row + 1] > indices.size())
      throw pyb::value_error(fmt::format("the CSR matrix's indptr is inconsistent at row {}", row));
    const auto ue = std::to_chars(ub, ub + sizeof ub, row).ptr;
    for (int64_t k = p[row]; k < p[row + 1]; ++k) {
      const int64_t col = indices.data()[k];
      if (col < 0 || size_t(col) >= n_items) throw pyb::value_error(fmt::format("the CSR matrix has a column {} out of range", col));
      if (data.data()[k] == 0) continue;  // an explicit zero is no interaction
      const auto ie = std::to_chars(ib, ib + sizeof ib, col).ptr;
      b.add({ub, size_t(ue - ub)}, {ib, size_t(ie - ib)}, data.data()[k]);
    }
  }
  return whole(std::move(b).finish());
}

Data load(const std::string& path, const std::string& format, const std::string& sep, std::optional<bool> header,
          std::optional<float> rating_min, std::optional<float> rating_max, std::optional<float> min_rating) {
  ReadOptions r;
  r.path = path, r.format = format, r.sep = sep, r.header = header;
  r.rating_min = rating_min, r.rating_max = rating_max, r.min_rating = min_rating;
  pyb::gil_scoped_release free;
  return whole(load_dataset(r));
}

std::tuple<Data, Data, Data> split(const Data& d, const std::string& kind, double test_ratio, double val_ratio,
                                   const std::string& val_split, uint64_t seed, int folds, int fold) {
  if (d.role != "all") throw pyb::value_error("split a whole data set, not a part of a split (" + d.role + ")");
  SplitOptions o;
  o.kind = parse_split(kind);
  if (o.kind == SplitKind::files) throw pyb::value_error("split `files`: give the two parts as data sets instead");
  if (val_split != "random" && val_split != "temporal") throw pyb::value_error("`val_split` must be random or temporal");
  o.test_ratio = test_ratio, o.val_ratio = val_ratio, o.val_temporal = val_split == "temporal";
  o.seed = seed, o.folds = folds, o.fold = fold;
  Dataset full = *d.base;
  full.ratings = d.part;
  SplitData s = [&] {
    pyb::gil_scoped_release free;
    return split_dataset(std::move(full), o, /*keep_time=*/true);
  }();
  auto base = std::make_shared<const Dataset>(std::move(s.data));
  auto part = [&](Ratings r, const char* role) { return Data{base, std::move(r), o.kind, role}; };
  return {part(std::move(s.split.train), "train"), part(std::move(s.split.val), "val"), part(std::move(s.split.test), "test")};
}

pyb::dict columns(const Data& d) {
  const bool ui = integer_ids(d.base->users), ii = integer_ids(d.base->items);
  pyb::dict out;
  out["user"] = ids_of(d.base->users, ui, d.part.user.data(), d.part.size());
  out["item"] = ids_of(d.base->items, ii, d.part.item.data(), d.part.size());
  out["rating"] = pyb::array_t<float>(pyb::ssize_t(d.part.size()), d.part.value.data());
  if (d.part.has_time()) out["timestamp"] = pyb::array_t<int64_t>(pyb::ssize_t(d.part.size()), d.part.time.data());
  return out;
}

}  // namespace

void bind_data(pyb::module_& m) {
  pyb::class_<Data>(m, "Data")
      .def("__len__", [](const Data& d) { return d.part.size(); })
      .def_property_readonly("n_users", [](const Data& d) { return d.base->users.size(); })
      .def_property_readonly("n_items", [](const Data& d) { return d.base->items.size(); })
      .def_property_readonly("role", [](const Data& d) { return d.role; })
      .def_property_readonly("split_kind", [](const Data& d) { return std::string(split_name(d.kind)); })
      .def_property_readonly("source", [](const Data& d) { return d.base->source.ratings_file; })
      .def_property_readonly("has_timestamps", [](const Data& d) { return d.part.has_time(); })
      .def_property_readonly("duplicates", [](const Data& d) { return d.base->report.duplicates; })
      .def_property_readonly("rating_range", [](const Data& d) { return std::pair{d.base->rating_min, d.base->rating_max}; })
      .def("same_ids", [](const Data& a, const Data& b) { return a.base == b.base; })
      .def("columns", &columns);
  m.def("load", &load, pyb::arg("path"), pyb::arg("format") = "", pyb::arg("sep") = "", pyb::arg("header") = pyb::none(),
        pyb::arg("rating_min") = pyb::none(), pyb::arg("rating_max") = pyb::none(), pyb::arg("min_rating") = pyb::none());
  m.def("from_arrays", &from_arrays, pyb::arg("users"), pyb::arg("items"), pyb::arg("ratings") = pyb::none(),
        pyb::arg("timestamps") = pyb::none(), pyb::arg("name") = "arrays");
  m.def("from_csr", &from_csr, pyb::arg("indptr"), pyb::arg("indices"), pyb::arg("data"), pyb::arg("n_items"));
  m.def("split", &split, pyb::arg("data"), pyb::arg("kind"), pyb::arg("test_ratio"), pyb::arg("val_ratio"),
        pyb::arg("val_split"), pyb::arg("seed"), pyb::arg("folds"), pyb::arg("fold"));
}

}  // namespace mfrec::py
