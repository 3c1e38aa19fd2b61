// OpenWire e2e client (tests/e2e/openwire_capture.sh): the ActiveMQ JMS client (Debian activemq,
// activemq-client.jar) against a real broker. One connection per run, in the wire format the broker
// URL asks for (tight by default; wireFormat.tightEncodingEnabled=false for loose;
// wireFormat.sizePrefixDisabled=true for commands without their 4-byte size, which a passive
// observer can only frame while each command fits its buffer: that run's BytesMessage is small).
// usage: java -cp <activemq jars>:. Client <broker url> <tag>
import javax.jms.*;
import org.apache.activemq.ActiveMQConnectionFactory;

public class Client {
  public static void main(String[] args) throws Exception {
    String url = args[0], tag = args[1];
    ConnectionFactory f = new ActiveMQConnectionFactory(url);
    Connection c = f.createConnection();
    c.setClientID("l7tap-" + tag);
    c.start();
    Session s = c.createSession(false, Session.AUTO_ACKNOWLEDGE);
    Queue q = s.createQueue("l7tap." + tag + ".orders");
    MessageConsumer consumer = s.createConsumer(q);
    MessageProducer p = s.createProducer(q);
    p.setDeliveryMode(DeliveryMode.PERSISTENT);  // synchronous sends: each waits for a Response
    for (int i = 0; i < 5; i++) {
      TextMessage m = s.createTextMessage("order " + i);
      m.setJMSCorrelationID(tag + "-corr-" + i);
      m.setStringProperty("traceparent", String.format("00-4bf92f3577b34da6a3ce929d0e0e47%02x-00f067aa0ba902b7-01", i));
      p.send(m);
    }
    BytesMessage b = s.createBytesMessage();
    // 70 KB: more than l7tap buffers of one message (decoded from its prefix, the rest skipped).
    b.writeBytes(new byte[tag.equals("noprefix") ? 3000 : 70000]);
    b.setJMSCorrelationID(tag + "-bytes");
    p.send(b);
    MapMessage mm = s.createMapMessage();
    mm.setString("k", "v");
    p.send(mm);
    for (int i = 0; i < 7; i++) {
      if (consumer.receive(5000) == null) throw new RuntimeException("message " + i + " not received");
    }
    // A topic: fire-and-forget (non-persistent sends are asynchronous, no Response).
    Topic t = s.createTopic("l7tap." + tag + ".events");
    MessageProducer tp = s.createProducer(t);
    tp.setDeliveryMode(DeliveryMode.NON_PERSISTENT);
    tp.send(s.createTextMessage("event"));
    // A second connection with the same client id: the broker refuses its ConnectionInfo with an
    // ExceptionResponse (InvalidClientIDException).
    Connection dup = f.createConnection();
    try {
      dup.setClientID("l7tap-" + tag);
      dup.start();
      throw new RuntimeException("duplicate client id accepted");
    } catch (InvalidClientIDException expected) {
      System.err.println("refused as expected: " + expected.getMessage());
    } finally {
      dup.close();
    }
    c.close();
  }
}
