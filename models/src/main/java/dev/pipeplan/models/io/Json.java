package dev.pipeplan.models.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;

/**
 * The one place JSON and YAML mappers are configured. Output is deterministic: map keys sorted,
 * two-space indent, "\n" line ends, a trailing newline from {@link #write(Object)}.
 */
public final class Json {
  private static final ObjectMapper JSON =
      configure(
          JsonMapper.builder()
              .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
              .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
              .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
              // a key given twice ("n_layer": 12, ..., "n_layer": 2) is a hand edit gone wrong:
              // taking the last one silently would plan another model than the user reads
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              // text after the document ("}garbage", a second object pasted below) is a hand edit
              // gone wrong too: reading the first value and ignoring the rest would hide it
              .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              // a whole number is written as one: 64.5 or "64" for a count is an error, not 64
              .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
              .withCoercionConfig(
                  LogicalType.Integer,
                  c -> c.setCoercion(CoercionInputShape.String, CoercionAction.Fail))
              .build());
  private static final ObjectMapper YAML =
      configure(
          YAMLMapper.builder(new YAMLFactory())
              .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
              .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
              .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
              .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
              .build());

  private Json() {}

  private static ObjectMapper configure(ObjectMapper mapper) {
    mapper.disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    return mapper;
  }

  /** The shared JSON mapper. Do not reconfigure it. */
  public static ObjectMapper json() {
    return JSON;
  }

  /** The shared YAML mapper. Do not reconfigure it. */
  public static ObjectMapper yaml() {
    return YAML;
  }

  /**
   * A string as a JSON string literal, quotes included, for the files written by hand for speed
   * (timelines, traces).
   */
  public static String quote(String text) {
    return '"' + new String(JsonStringEncoder.getInstance().quoteAsString(text)) + '"';
  }

  /** Pretty JSON with "\n" line ends and a trailing newline, the same bytes on every platform. */
  public static String write(Object value) {
    DefaultPrettyPrinter printer =
        new DefaultPrettyPrinter()
            .withObjectIndenter(new DefaultIndenter("  ", "\n"))
            .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    try {
      return JSON.writer(printer).writeValueAsString(value) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException("cannot write JSON: " + e.getMessage(), e);
    }
  }
}
