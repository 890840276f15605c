package dev.pipeplan.models.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pipeplan.models.BadInputException;
import dev.pipeplan.models.zoo.Zoo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hand edits that JSON does not allow are refused in the file's words: Jackson's remedies (a parser
 * feature to enable) and its invisible byte-order-mark character never reach the user.
 */
class JsonErrorsTest {
  @TempDir Path dir;

  static Stream<Arguments> edits() {
    return Stream.of(
        Arguments.of(
            "\"sequenceLength\" : NaN,", "'NaN' is not a number JSON allows; write a finite"),
        Arguments.of("\"sequenceLength\" : -Infinity,", "'-Infinity' is not a number JSON allows"),
        Arguments.of("\"sequenceLength\" : +32,", "JSON numbers have no plus sign; delete the '+'"),
        Arguments.of(
            "\"sequenceLength\" : 32, // mine\n", "JSON has no comments; delete the comment"),
        Arguments.of(
            "\"sequenceLength\" : 32, # mine\n", "JSON has no comments; delete the comment"),
        Arguments.of("\uFEFF", "starts with a byte-order mark (U+FEFF)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("edits")
  void editsJsonDoesNotAllowAreNamedWithoutJacksonsRemedies(String edit, String expected)
      throws IOException {
    Path file = dir.resolve("model.json");
    ModelLoader.write(Zoo.get("gpt-tiny"), file);
    String text = Files.readString(file);
    String edited =
        edit.equals("\uFEFF") ? edit + text : text.replace("\"sequenceLength\" : 32,", edit);
    assertThat(edited).isNotEqualTo(text);

    Files.writeString(file, edited);

    assertThatThrownBy(() -> ModelLoader.load(file.toString()))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(file + " is not valid JSON (line ")
        .hasMessageContaining(expected)
        .hasMessageNotContaining("enable")
        .hasMessageNotContaining("Feature")
        .hasMessageNotContaining("\uFEFF");
  }
}
