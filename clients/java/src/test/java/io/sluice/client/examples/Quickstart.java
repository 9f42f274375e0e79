package io.sluice.client.examples;

import io.sluice.client.ConsumerRecord;
import io.sluice.client.ProducerRecord;
import io.sluice.client.RecordMetadata;
import io.sluice.client.SluiceAdmin;
import io.sluice.client.SluiceConsumer;
import io.sluice.client.SluiceProducer;

public class Quickstart {
    public static void main(String[] args) throws Exception {
        String broker = args.length > 0 ? args[0] : "127.0.0.1:7070";
        try (SluiceAdmin admin = SluiceAdmin.builder().target(broker).build()) {
            admin.createTopic("greetings", 3);
        }
        try (SluiceProducer producer = SluiceProducer.builder().target(broker).build()) {
            RecordMetadata md = producer.send(ProducerRecord.of("greetings", "user-1", "hello")).get();
            System.out.println("stored in partition " + md.partition() + " at offset " + md.offset());
        }
        try (SluiceConsumer consumer = SluiceConsumer.builder().target(broker).topic("greetings").build()) {
            for (ConsumerRecord record : consumer) { // ends at the end of the log
                System.out.println(record.keyAsString() + " = " + record.valueAsString());
            }
        }
    }
}
