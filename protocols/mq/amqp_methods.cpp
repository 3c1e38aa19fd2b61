#include "protocols/mq/amqp_methods.hpp"

#include <array>

namespace l7tap::amqp {
namespace {

using R = MethodRole;
using A = ArgLayout;

// Names: "Class.Method" with the spec's method name in CamelCase and no hyphen ("Connection.StartOk",
// "Basic.GetEmpty", "Basic.RecoverAsync"), the form the product's documentation uses for
// request_type ("Channel.OpenOK", "Basic.RecoverAsync").
// Roles: synchronous methods are requests, their replies responses; the asynchronous ones the spec
// marks as such (and the product documents as unidirectional) are one-way.
constexpr std::array<MethodInfo, 66> kMethods{{
    {10, 10, "Connection.Start", R::kRequest, A::kNone},
    {10, 11, "Connection.StartOk", R::kResponse, A::kNone},
    {10, 20, "Connection.Secure", R::kRequest, A::kNone},
    {10, 21, "Connection.SecureOk", R::kResponse, A::kNone},
    {10, 30, "Connection.Tune", R::kRequest, A::kNone},
    {10, 31, "Connection.TuneOk", R::kResponse, A::kNone},
    {10, 40, "Connection.Open", R::kRequest, A::kConnectionOpen},
    {10, 41, "Connection.OpenOk", R::kResponse, A::kNone},
    {10, 50, "Connection.Close", R::kRequest, A::kClose},
    {10, 51, "Connection.CloseOk", R::kResponse, A::kNone},
    {10, 60, "Connection.Blocked", R::kOneWay, A::kNone},
    {10, 61, "Connection.Unblocked", R::kOneWay, A::kNone},
    {10, 70, "Connection.UpdateSecret", R::kRequest, A::kNone},
    {10, 71, "Connection.UpdateSecretOk", R::kResponse, A::kNone},

    {20, 10, "Channel.Open", R::kRequest, A::kNone},
    {20, 11, "Channel.OpenOk", R::kResponse, A::kNone},
    {20, 20, "Channel.Flow", R::kRequest, A::kNone},
    {20, 21, "Channel.FlowOk", R::kResponse, A::kNone},
    {20, 40, "Channel.Close", R::kRequest, A::kClose},
    {20, 41, "Channel.CloseOk", R::kResponse, A::kNone},

    {30, 10, "Access.Request", R::kRequest, A::kNone},
    {30, 11, "Access.RequestOk", R::kResponse, A::kNone},

    {40, 10, "Exchange.Declare", R::kRequest, A::kExchangeDeclare},
    {40, 11, "Exchange.DeclareOk", R::kResponse, A::kNone},
    {40, 20, "Exchange.Delete", R::kRequest, A::kExchangeDelete},
    {40, 21, "Exchange.DeleteOk", R::kResponse, A::kNone},
    {40, 30, "Exchange.Bind", R::kRequest, A::kExchangeBind},
    {40, 31, "Exchange.BindOk", R::kResponse, A::kNone},
    {40, 40, "Exchange.Unbind", R::kRequest, A::kExchangeBind},
    {40, 51, "Exchange.UnbindOk", R::kResponse, A::kNone},  // 51, not 41: RabbitMQ's numbering

    {50, 10, "Queue.Declare", R::kRequest, A::kQueueDeclare},
    {50, 11, "Queue.DeclareOk", R::kResponse, A::kQueueDeclareOk},
    {50, 20, "Queue.Bind", R::kRequest, A::kQueueBind},
    {50, 21, "Queue.BindOk", R::kResponse, A::kNone},
    {50, 30, "Queue.Purge", R::kRequest, A::kQueuePurge},
    {50, 31, "Queue.PurgeOk", R::kResponse, A::kNone},
    {50, 40, "Queue.Delete", R::kRequest, A::kQueueDelete},
    {50, 41, "Queue.DeleteOk", R::kResponse, A::kNone},
    {50, 50, "Queue.Unbind", R::kRequest, A::kQueueUnbind},
    {50, 51, "Queue.UnbindOk", R::kResponse, A::kNone},

    {60, 10, "Basic.Qos", R::kRequest, A::kNone},
    {60, 11, "Basic.QosOk", R::kResponse, A::kNone},
    {60, 20, "Basic.Consume", R::kRequest, A::kBasicConsume},
    {60, 21, "Basic.ConsumeOk", R::kResponse, A::kNone},
    {60, 30, "Basic.Cancel", R::kRequest, A::kBasicCancel},
    {60, 31, "Basic.CancelOk", R::kResponse, A::kNone},
    {60, 40, "Basic.Publish", R::kOneWay, A::kBasicPublish},
    {60, 50, "Basic.Return", R::kOneWay, A::kBasicReturn},
    {60, 60, "Basic.Deliver", R::kOneWay, A::kBasicDeliver},
    {60, 70, "Basic.Get", R::kRequest, A::kBasicGet},
    {60, 71, "Basic.GetOk", R::kResponse, A::kBasicGetOk},
    {60, 72, "Basic.GetEmpty", R::kResponse, A::kNone},
    {60, 80, "Basic.Ack", R::kOneWay, A::kNone},
    {60, 90, "Basic.Reject", R::kOneWay, A::kNone},
    {60, 100, "Basic.RecoverAsync", R::kOneWay, A::kNone},
    {60, 110, "Basic.Recover", R::kRequest, A::kNone},
    {60, 111, "Basic.RecoverOk", R::kResponse, A::kNone},
    {60, 120, "Basic.Nack", R::kOneWay, A::kNone},

    {85, 10, "Confirm.Select", R::kRequest, A::kConfirmSelect},
    {85, 11, "Confirm.SelectOk", R::kResponse, A::kNone},

    {90, 10, "Tx.Select", R::kRequest, A::kNone},
    {90, 11, "Tx.SelectOk", R::kResponse, A::kNone},
    {90, 20, "Tx.Commit", R::kRequest, A::kNone},
    {90, 21, "Tx.CommitOk", R::kResponse, A::kNone},
    {90, 30, "Tx.Rollback", R::kRequest, A::kNone},
    {90, 31, "Tx.RollbackOk", R::kResponse, A::kNone},
}};

}  // namespace

const MethodInfo* find_method(uint16_t class_id, uint16_t method_id) {
  // ~66 entries: a linear scan over 4-byte keys is a few cache lines, cheaper than hashing.
  for (const MethodInfo& m : kMethods)
    if (m.class_id == class_id && m.method_id == method_id) return &m;
  return nullptr;
}

bool known_class(uint16_t c) {
  return c == kClassConnection || c == kClassChannel || c == kClassAccess || c == kClassExchange ||
         c == kClassQueue || c == kClassBasic || c == kClassConfirm || c == kClassTx;
}

}  // namespace l7tap::amqp
