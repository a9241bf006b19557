// ingress-nginx's annotations as a table: each case is Ingress JSON in (as `kubectl get -o json`
// prints it, the ingress-nginx documentation's own examples among them) and the Wharf model out,
// then the whole table through the real compiler and the data plane's matcher, so a rule that
// looks right but routes wrong is caught too. The cases live in
// fixtures/ingress-nginx/translation_cases.json.

#include <map>
#include <set>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "controller/compiler/compiler.hpp"
#include "controller/kubernetes/ingress_translator.hpp"
#include "dataplane/routing/compiled_table.hpp"
#include "test_common/translation_table.hpp"

namespace wharf::controller::kubernetes {
namespace {

using rapidjson::Value;

// The cluster every case starts from: Services web, canary and errors, each with one ready
// endpoint (10.0.0.1, .2 and .3, port 8080).
const char* kCluster = R"({"kind":"List","items":[
  {"kind":"IngressClass","metadata":{"name":"nginx"},"spec":{"controller":"k8s.io/ingress-nginx"}},
  {"kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"Service","metadata":{"name":"canary","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"Service","metadata":{"name":"errors","namespace":"default"},"spec":{"type":"ClusterIP","ports":[{"name":"http","port":80}]}},
  {"kind":"EndpointSlice","metadata":{"name":"web-1","namespace":"default","labels":{"kubernetes.io/service-name":"web"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.0.1"]}]},
  {"kind":"EndpointSlice","metadata":{"name":"canary-1","namespace":"default","labels":{"kubernetes.io/service-name":"canary"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.0.2"]}]},
  {"kind":"EndpointSlice","metadata":{"name":"errors-1","namespace":"default","labels":{"kubernetes.io/service-name":"errors"}},"addressType":"IPv4","ports":[{"name":"http","port":8080}],"endpoints":[{"addresses":["10.0.0.3"]}]}
]})";

struct Case {
  std::string name;
  Snapshot snap;
  IngressOptions opt;
  const Value* expect = nullptr;
};

// An Ingress of the case, completed: kind, namespace "default", name "web" and class "nginx"
// unless it says otherwise.
std::string ingress_json(const Value& given, rapidjson::Document& doc) {
  Value ing(rapidjson::kObjectType);
  ing.CopyFrom(given, doc.GetAllocator());
  auto& a = doc.GetAllocator();
  if (!ing.HasMember("kind")) ing.AddMember("kind", "Ingress", a);
  if (!ing.HasMember("metadata")) ing.AddMember("metadata", Value(rapidjson::kObjectType), a);
  auto& md = ing["metadata"];
  if (!md.HasMember("name")) md.AddMember("name", "web", a);
  if (!md.HasMember("namespace")) md.AddMember("namespace", "default", a);
  if (!ing.HasMember("spec")) ing.AddMember("spec", Value(rapidjson::kObjectType), a);
  // No ingressClassName: "nginx"; null: none at all.
  if (!ing["spec"].HasMember("ingressClassName")) {
    ing["spec"].AddMember("ingressClassName", "nginx", a);
  } else if (ing["spec"]["ingressClassName"].IsNull()) {
    ing["spec"].RemoveMember("ingressClassName");
  }
  return test::dump(ing);
}

void check_case(const Value& c) {
  const std::string name = c["name"].GetString();
  SCOPED_TRACE(name);
  Snapshot snap;
  ASSERT_TRUE(add_objects(kCluster, snap).ok());
  rapidjson::Document scratch;
  scratch.SetObject();
  if (c.HasMember("ingress")) {
    ASSERT_TRUE(add_objects(ingress_json(c["ingress"], scratch), snap).ok());
  }
  if (c.HasMember("ingresses")) {
    for (const auto& i : c["ingresses"].GetArray()) {
      ASSERT_TRUE(add_objects(ingress_json(i, scratch), snap).ok());
    }
  }
  if (c.HasMember("objects")) {
    for (const auto& o : c["objects"].GetArray())
      ASSERT_TRUE(add_objects(test::dump(o), snap).ok());
  }
  IngressOptions opt;
  opt.nginx.enabled = true;
  if (c.HasMember("nginxClass")) opt.nginx.ingress_class = c["nginxClass"].GetString();
  if (c.HasMember("configmap")) {
    opt.nginx.configmap = "ingress-nginx/ingress-nginx-controller";
    std::string cm =
        R"({"kind":"ConfigMap","metadata":{"name":"ingress-nginx-controller","namespace":"ingress-nginx"},"data":)" +
        test::dump(c["configmap"]) + "}";
    ASSERT_TRUE(add_objects(cm, snap).ok());
  }
  std::vector<IngressReport> reports;
  const auto cfg = translate(snap, opt, &reports);
  const Value& e = c["expect"];

  std::map<std::string, const model::ConfigRouter*> routers;
  for (const auto& r : cfg.routers) routers[r.name] = &r;
  std::map<std::string, const model::ConfigService*> services;
  for (const auto& s : cfg.services) services[s.name] = &s;
  std::map<std::string, const model::ConfigTransport*> transports;
  for (const auto& t : cfg.transports) transports[t.name] = &t;

  if (e.HasMember("routers")) {
    for (const auto& m : e["routers"].GetObject()) {
      const std::string rname = m.name.GetString();
      ASSERT_TRUE(routers.count(rname)) << "no router " << rname;
      const auto& r = *routers[rname];
      const Value& want = m.value;
      if (want.HasMember("rule")) {
        EXPECT_EQ(r.rule, want["rule"].GetString()) << rname;
      }
      if (want.HasMember("priority")) {
        EXPECT_EQ(r.priority, want["priority"].GetInt64()) << rname;
      }
      if (want.HasMember("tlsOptions")) {
        EXPECT_EQ(r.tls_options, want["tlsOptions"].GetString()) << rname;
      }
      if (want.HasMember("service")) {
        EXPECT_EQ(r.service, want["service"].GetString()) << rname;
      }
      if (want.HasMember("middlewares")) {
        std::vector<std::string> list;
        for (const auto& x : want["middlewares"].GetArray()) list.emplace_back(x.GetString());
        EXPECT_EQ(r.middlewares, list) << rname;
      }
    }
  }
  if (e.HasMember("absent")) {
    for (const auto& x : e["absent"].GetArray()) {
      EXPECT_FALSE(routers.count(x.GetString())) << "router " << x.GetString() << " exists";
    }
  }
  if (e.HasMember("middlewares")) test::expect_middlewares(cfg.middlewares, e["middlewares"]);
  if (e.HasMember("services")) {
    for (const auto& m : e["services"].GetObject()) {
      const std::string sname = m.name.GetString();
      ASSERT_TRUE(services.count(sname)) << "no service " << sname;
      const auto& s = *services[sname];
      const Value& want = m.value;
      if (want.HasMember("servers")) {
        std::vector<std::string> got, list;
        for (const auto& srv : s.servers) got.push_back(srv.url + "*" + std::to_string(srv.weight));
        for (const auto& x : want["servers"].GetArray()) list.emplace_back(x.GetString());
        EXPECT_EQ(got, list) << sname;
      }
      if (want.HasMember("timeouts")) {
        ASSERT_TRUE(s.timeouts) << sname;
        const auto& t = want["timeouts"];
        EXPECT_EQ(s.timeouts->connect_ms, t[0].GetUint()) << sname;
        EXPECT_EQ(s.timeouts->response_header_ms, t[1].GetUint()) << sname;
        EXPECT_EQ(s.timeouts->body_idle_ms, t[2].GetUint()) << sname;
        EXPECT_EQ(s.timeouts->tunnel_idle_ms, t[3].GetUint()) << sname;
      }
      if (want.HasMember("sticky")) {
        ASSERT_TRUE(s.sticky) << sname;
        const auto& st = want["sticky"];
        EXPECT_EQ(s.sticky->name, st["name"].GetString());
        EXPECT_EQ(s.sticky->path, st["path"].GetString());
        EXPECT_EQ(s.sticky->max_age, st["maxAge"].GetInt64());
        EXPECT_EQ(s.sticky->same_site, st["sameSite"].GetString());
        EXPECT_EQ(s.sticky->secure, st["secure"].GetBool());
      }
      if (want.HasMember("strategy")) {
        EXPECT_EQ(s.strategy, want["strategy"].GetString());
      }
      if (want.HasMember("transport")) {
        EXPECT_EQ(s.transport, want["transport"].GetString());
      }
    }
  }
  if (e.HasMember("transports")) {
    for (const auto& m : e["transports"].GetObject()) {
      const std::string tname = m.name.GetString();
      ASSERT_TRUE(transports.count(tname)) << "no transport " << tname;
      const auto& t = *transports[tname];
      const Value& want = m.value;
      EXPECT_EQ(t.insecure_skip_verify, want["insecureSkipVerify"].GetBool()) << tname;
      if (want.HasMember("serverName")) {
        EXPECT_EQ(t.server_name, want["serverName"].GetString());
      }
      if (want.HasMember("rootCAs")) {
        EXPECT_EQ(t.root_cas.size(), want["rootCAs"].GetUint());
      }
      if (want.HasMember("disableHTTP2")) {
        EXPECT_EQ(t.disable_http2, want["disableHTTP2"].GetBool());
      }
    }
  }
  // Exactly the annotations left out, refused or not taken (as --check lists them).
  std::set<std::string> left_out, closing;
  for (const auto& d : cfg.diagnostics) {
    if (d.kind != "ingress" || d.message.starts_with("partly supported")) continue;
    auto name = d.message.substr(std::string("annotation nginx.ingress.kubernetes.io/").size());
    name = name.substr(0, name.find(':'));
    left_out.insert(name);
    if (!d.warning) closing.insert(name);
  }
  std::set<std::string> want_left_out, want_closing;
  if (e.HasMember("leftOut")) {
    for (const auto& x : e["leftOut"].GetArray()) want_left_out.insert(x.GetString());
  }
  if (e.HasMember("closedBy")) {
    for (const auto& x : e["closedBy"].GetArray()) want_closing.insert(x.GetString());
  }
  want_left_out.insert(want_closing.begin(), want_closing.end());
  EXPECT_EQ(left_out, want_left_out);
  EXPECT_EQ(closing, want_closing);
  if (e.HasMember("diagnostics")) {
    for (const auto& x : e["diagnostics"].GetArray()) {
      const std::string want = x.GetString();
      bool found = false;
      for (const auto& d : cfg.diagnostics)
        found = found || d.message.find(want) != std::string::npos;
      EXPECT_TRUE(found) << "no diagnostic containing: " << want;
    }
  }
  // The table compiles without rejections (a closed Ingress keeps its routers), and requests
  // reach the router the case names.
  auto table = compiler::compile({{"kubernetes", cfg}});
  for (const auto& d : table.diagnostics) {
    if (d.kind == "ingress" || d.kind == "configmap") continue;
    ADD_FAILURE() << "rejected " << d.kind << " " << d.name << ": " << d.message;
  }
  auto compiled = dataplane::routing::CompiledTable::build(table);
  ASSERT_TRUE(compiled.ok()) << compiled.error();
  if (e.HasMember("requests")) {
    for (const auto& q : e["requests"].GetArray()) {
      std::string host = q[0].GetString(), path = q[1].GetString();
      auto query_at = path.find('?');
      std::string query = query_at == std::string::npos ? "" : path.substr(query_at + 1);
      path = path.substr(0, query_at);
      test::MatcherHeaders fields;
      for (const auto& h : q[2].GetObject()) fields.set(h.name.GetString(), h.value.GetString());
      rules::RequestView req{"GET", host, path, query, &fields, nullptr};
      const auto* r = (*compiled)->match("web", req);
      const std::string got = r ? r->name.substr(0, r->name.find('@')) : "";
      EXPECT_EQ(got, q[3].GetString()) << host << path;
    }
  }
}

TEST(NginxTable, EveryCase) {
  const auto& cases =
      test::json_cases(std::string(WHARF_FIXTURES_DIR) + "/ingress-nginx/translation_cases.json");
  ASSERT_TRUE(cases.IsArray());
  for (const auto& c : cases.GetArray()) check_case(c);
  std::printf("%u ingress-nginx translation cases\n", cases.Size());
}

}  // namespace
}  // namespace wharf::controller::kubernetes
