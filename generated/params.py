# generated from spec/openapi.yaml by nox -s generate — do not edit
"""The request objects as TypedDicts, so that dict literals type-check.

``<Struct>Param`` is the TypedDict twin of each Struct a request sends: the same keys
(the wire names) and the same required keys. Wherever a request takes an object it takes
either form, and ``<Alias>Param`` is the dict form of a union the models name: each
member's twin or the Struct itself. Then the create and update keyword arguments (and
the fields the create keywords leave out, with why), the query parameters of each
operation that has them as keyword arguments (``<Operation>QueryParams``), and the
request message roles.

The twins are TypedDicts for type checkers; at run time each is ``dict``, which is all a
TypedDict makes: defining some fifty classes would slow every start of the client.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Required, TypeAlias, TypedDict

from .models import (
    ChatCompletionAllowedToolChoice,
    ChatCompletionAllowedTools,
    ChatCompletionAssistantMessage,
    ChatCompletionAssistantMessageAudio,
    ChatCompletionAssistantMessageFunctionCall,
    ChatCompletionContentPartFile,
    ChatCompletionContentPartFileFile,
    ChatCompletionContentPartImage,
    ChatCompletionContentPartImageImageUrl,
    ChatCompletionContentPartInputAudio,
    ChatCompletionContentPartInputAudioInputAudio,
    ChatCompletionContentPartRefusal,
    ChatCompletionContentPartText,
    ChatCompletionCustomTool,
    ChatCompletionCustomToolCustom,
    ChatCompletionCustomToolCustomFormatGrammarFormat,
    ChatCompletionCustomToolCustomFormatGrammarFormatGrammar,
    ChatCompletionCustomToolCustomFormatTextFormat,
    ChatCompletionDeveloperMessage,
    ChatCompletionFunctionCallOption,
    ChatCompletionFunctionMessage,
    ChatCompletionFunctions,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageCustomToolCallCustom,
    ChatCompletionMessageToolCall,
    ChatCompletionMessageToolCallFunction,
    ChatCompletionNamedToolChoice,
    ChatCompletionNamedToolChoiceCustom,
    ChatCompletionNamedToolChoiceCustomCustom,
    ChatCompletionNamedToolChoiceFunction,
    ChatCompletionPredictionContent,
    ChatCompletionSystemMessage,
    ChatCompletionTool,
    ChatCompletionToolMessage,
    ChatCompletionUserMessage,
    CreateChatCompletionRequestAudio,
    CustomVoice,
    FunctionObject,
    JsonSchema,
    ModelIdsShared,
    Moderation,
    ModerationConfig,
    ModerationMode,
    ModerationPolicy,
    PromptCacheBreakpoint,
    PromptCacheModeEnum,
    PromptCacheOptions,
    PromptCacheTTLEnum,
    ReasoningEffort,
    ResponseFormatJsonObject,
    ResponseFormatJsonSchema,
    ResponseFormatText,
    ServiceTier,
    Verbosity,
    VoiceIdsShared,
    WebSearchContextSize,
    WebSearchLocation,
    WebSearchOptions,
    WebSearchOptionsUserLocation,
)

__all__ = [
    "CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS",
    "ChatCompletionAllowedToolChoiceParam",
    "ChatCompletionAllowedToolsParam",
    "ChatCompletionAssistantMessageAudioParam",
    "ChatCompletionAssistantMessageContentParam",
    "ChatCompletionAssistantMessageContentPartParam",
    "ChatCompletionAssistantMessageFunctionCallParam",
    "ChatCompletionAssistantMessageParam",
    "ChatCompletionAudioParam",
    "ChatCompletionContentPartFileFileParam",
    "ChatCompletionContentPartFileParam",
    "ChatCompletionContentPartImageImageUrlParam",
    "ChatCompletionContentPartImageParam",
    "ChatCompletionContentPartInputAudioInputAudioParam",
    "ChatCompletionContentPartInputAudioParam",
    "ChatCompletionContentPartParam",
    "ChatCompletionContentPartRefusalParam",
    "ChatCompletionContentPartTextParam",
    "ChatCompletionCustomToolCustomFormatGrammarFormatGrammarParam",
    "ChatCompletionCustomToolCustomFormatGrammarFormatParam",
    "ChatCompletionCustomToolCustomFormatParam",
    "ChatCompletionCustomToolCustomFormatTextFormatParam",
    "ChatCompletionCustomToolCustomParam",
    "ChatCompletionCustomToolParam",
    "ChatCompletionDeveloperMessageContentParam",
    "ChatCompletionDeveloperMessageParam",
    "ChatCompletionFunctionCallOptionParam",
    "ChatCompletionFunctionMessageParam",
    "ChatCompletionFunctionsParam",
    "ChatCompletionMessageCustomToolCallCustomParam",
    "ChatCompletionMessageCustomToolCallParam",
    "ChatCompletionMessageParam",
    "ChatCompletionMessageToolCallFunctionParam",
    "ChatCompletionMessageToolCallParam",
    "ChatCompletionMessageToolCallUnionParam",
    "ChatCompletionNamedToolChoiceCustomCustomParam",
    "ChatCompletionNamedToolChoiceCustomParam",
    "ChatCompletionNamedToolChoiceFunctionParam",
    "ChatCompletionNamedToolChoiceParam",
    "ChatCompletionPredictionContentContentParam",
    "ChatCompletionPredictionContentParam",
    "ChatCompletionRole",
    "ChatCompletionStreamOptionsParam",
    "ChatCompletionSystemMessageContentParam",
    "ChatCompletionSystemMessageContentPartParam",
    "ChatCompletionSystemMessageParam",
    "ChatCompletionToolChoiceObjectParam",
    "ChatCompletionToolChoiceOptionParam",
    "ChatCompletionToolMessageContentParam",
    "ChatCompletionToolMessageContentPartParam",
    "ChatCompletionToolMessageParam",
    "ChatCompletionToolParam",
    "ChatCompletionToolUnionParam",
    "ChatCompletionUserMessageContentParam",
    "ChatCompletionUserMessageParam",
    "CreateChatCompletionParams",
    "CreateChatCompletionRequestFunctionCallParam",
    "CreateChatCompletionRequestResponseFormatParam",
    "CustomVoiceParam",
    "FunctionObjectParam",
    "GetChatCompletionMessagesQueryParams",
    "JsonSchemaParam",
    "ListChatCompletionsQueryParams",
    "ModerationConfigParam",
    "ModerationParam",
    "ModerationPolicyParam",
    "PromptCacheBreakpointParam",
    "PromptCacheOptionsParam",
    "ResponseFormatJsonObjectParam",
    "ResponseFormatJsonSchemaParam",
    "ResponseFormatTextParam",
    "ResponseModalitiesParam",
    "StopConfigurationParam",
    "UpdateChatCompletionParams",
    "VoiceIdsOrCustomVoiceParam",
    "WebSearchLocationParam",
    "WebSearchOptionsParam",
    "WebSearchOptionsUserLocationParam",
]

ChatCompletionRole: TypeAlias = Literal["developer", "system", "user", "assistant", "tool", "function"]
"""The roles a request message may have (the tags of ``ChatCompletionRequestMessage``)."""

if TYPE_CHECKING:

    class ChatCompletionAllowedToolsParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionAllowedTools``.

        Constrains the tools available to the model to a pre-defined set.
        """

        mode: Required[Literal["auto", "required"]]
        """Constrains the tools available to the model to a pre-defined set.

        `auto` allows the model to pick from among the allowed tools and generate a
        message.

        `required` requires the model to call one or more of the allowed tools.
        """
        tools: Required[Sequence[Mapping[str, object]]]
        """A list of tool definitions that the model should be allowed to call.

        For the Chat Completions API, the list of tool definitions might look like:
        ```json
        [
          { "type": "function", "function": { "name": "get_weather" } },
          { "type": "function", "function": { "name": "get_time" } }
        ]
        ```
        """

    class ChatCompletionAllowedToolChoiceParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionAllowedToolChoice``.

        Constrains the tools available to the model to a pre-defined set.
        """

        type: Required[Literal["allowed_tools"]]
        allowed_tools: Required[ChatCompletionAllowedToolsParam | ChatCompletionAllowedTools]

    class ChatCompletionFunctionCallOptionParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionFunctionCallOption``.

        Specifying a particular function via `{"name": "my_function"}` forces the model to call that function.
        """

        name: Required[str]
        """The name of the function to call."""

    class ChatCompletionFunctionMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionFunctionMessage``."""

        role: Required[Literal["function"]]
        content: Required[str | None]
        name: Required[str]
        """The name of the function to call."""

    class ChatCompletionContentPartRefusalParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartRefusal``."""

        type: Required[Literal["refusal"]]
        refusal: Required[str]
        """The refusal message generated by the model."""

    class ChatCompletionStreamOptionsParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionStreamOptions``.

        Options for streaming response. Only set this when you set `stream: true`.
        """

        include_usage: bool
        """If set, an additional chunk will be streamed before the `data: [DONE]`
        message. The `usage` field on this chunk shows the token usage statistics
        for the entire request, and the `choices` field will always be an empty
        array.

        All other chunks will also include a `usage` field, but with a null
        value. **NOTE:** If the stream is interrupted, you may not receive the
        final usage chunk which contains the total token usage for the request.
        """
        include_obfuscation: bool
        """When true, stream obfuscation will be enabled. Stream obfuscation adds
        random characters to an `obfuscation` field on streaming delta events to
        normalize payload sizes as a mitigation to certain side-channel attacks.
        These obfuscation fields are included by default, but add a small amount
        of overhead to the data stream. You can set `include_obfuscation` to
        false to optimize for bandwidth if you trust the network links between
        your application and the OpenAI API.
        """

    class PromptCacheBreakpointParam(TypedDict, total=False):
        """The dict form of ``PromptCacheBreakpoint``.

        Marks the exact end of a reusable prompt prefix. The breakpoint inherits its TTL from the request's `prompt_cache_options.ttl`; the boundary is not rounded to a token block.
        """

        mode: Required[Literal["explicit"]]
        """The breakpoint mode. Always `explicit`."""

    class ResponseFormatJsonObjectParam(TypedDict, total=False):
        """The dict form of ``ResponseFormatJsonObject``.

        JSON object response format. An older method of generating JSON responses.
        Using `json_schema` is recommended for models that support it. Note that the
        model will not generate JSON without a system or user message instructing it
        to do so.
        """

        type: Required[Literal["json_object"]]

    class ResponseFormatTextParam(TypedDict, total=False):
        """The dict form of ``ResponseFormatText``.

        Default response format. Used to generate text responses.
        """

        type: Required[Literal["text"]]

    class WebSearchLocationParam(TypedDict, total=False):
        """The dict form of ``WebSearchLocation``.

        Approximate location parameters for the search.
        """

        country: str
        """The two-letter
        [ISO country code](https://en.wikipedia.org/wiki/ISO_3166-1) of the user,
        e.g. `US`.
        """
        region: str
        """Free text input for the region of the user, e.g. `California`."""
        city: str
        """Free text input for the city of the user, e.g. `San Francisco`."""
        timezone: str
        """The [IANA timezone](https://timeapi.io/documentation/iana-timezones)
        of the user, e.g. `America/Los_Angeles`.
        """

    class ChatCompletionMessageCustomToolCallCustomParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionMessageCustomToolCallCustom``."""

        name: Required[str]
        """The name of the custom tool to call."""
        input: Required[str]
        """The input for the custom tool call generated by the model."""

    class ChatCompletionMessageToolCallFunctionParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionMessageToolCallFunction``."""

        name: Required[str]
        """The name of the function to call."""
        arguments: Required[str]
        """The arguments to call the function with, as generated by the model in JSON format. Note that the model does not always generate valid JSON, and may hallucinate parameters not defined by your function schema. Validate the arguments in your code before calling your function."""

    class ChatCompletionNamedToolChoiceFunctionParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionNamedToolChoiceFunction``."""

        name: Required[str]
        """The name of the function to call."""

    class ChatCompletionNamedToolChoiceCustomCustomParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionNamedToolChoiceCustomCustom``."""

        name: Required[str]
        """The name of the custom tool to call."""

    class ChatCompletionAssistantMessageAudioParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionAssistantMessageAudio``."""

        id: Required[str]
        """Unique identifier for a previous audio response from the model."""

    class ChatCompletionAssistantMessageFunctionCallParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionAssistantMessageFunctionCall``."""

        arguments: Required[str]
        """The arguments to call the function with, as generated by the model in JSON format. Note that the model does not always generate valid JSON, and may hallucinate parameters not defined by your function schema. Validate the arguments in your code before calling your function."""
        name: Required[str]
        """The name of the function to call."""

    class ChatCompletionContentPartInputAudioInputAudioParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartInputAudioInputAudio``."""

        data: Required[str]
        """Base64 encoded audio data."""
        format: Required[Literal["wav", "mp3"]]
        """The format of the encoded audio data. Currently supports "wav" and "mp3"."""

    class ChatCompletionContentPartFileFileParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartFileFile``."""

        filename: str
        """The name of the file, used when passing the file to the model as a
        string.
        """
        file_data: str
        """The base64 encoded file data, used when passing the file to the model
        as a string.
        """
        file_id: str
        """The ID of an uploaded file to use as input."""

    class ChatCompletionContentPartImageImageUrlParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartImageImageUrl``."""

        url: Required[str]
        """Either a URL of the image or the base64 encoded image data."""
        detail: Literal["auto", "low", "high"] | str
        """Specifies the detail level of the image. Learn more in the [Vision guide](/docs/guides/vision#low-or-high-fidelity-image-understanding)."""

    class WebSearchOptionsUserLocationParam(TypedDict, total=False):
        """The dict form of ``WebSearchOptionsUserLocation``."""

        type: Required[Literal["approximate"]]
        """The type of location approximation. Always `approximate`."""
        approximate: Required[WebSearchLocationParam | WebSearchLocation]

    class ChatCompletionCustomToolCustomFormatTextFormatParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionCustomToolCustomFormatTextFormat``."""

        type: Required[Literal["text"]]

    class ChatCompletionCustomToolCustomFormatGrammarFormatGrammarParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionCustomToolCustomFormatGrammarFormatGrammar``."""

        definition: Required[str]
        """The grammar definition."""
        syntax: Required[Literal["lark", "regex"]]
        """The syntax of the grammar definition. One of `lark` or `regex`."""

    class JsonSchemaParam(TypedDict, total=False):
        """The dict form of ``JsonSchema``."""

        name: Required[str]
        """The name of the response format. Must be a-z, A-Z, 0-9, or contain
        underscores and dashes, with a maximum length of 64.
        """
        description: str
        """A description of what the response format is for, used by the model to
        determine how to respond in the format.
        """
        schema: Mapping[str, object]
        strict: bool | None

    class CustomVoiceParam(TypedDict, total=False):
        """The dict form of ``CustomVoice``."""

        id: Required[str]
        """The custom voice ID, e.g. `voice_1234`."""

    class ChatCompletionFunctionsParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionFunctions``."""

        name: Required[str]
        """The name of the function to be called. Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."""
        description: str
        """A description of what the function does, used by the model to choose when and how to call the function."""
        parameters: Mapping[str, object]

    class ChatCompletionMessageCustomToolCallParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionMessageCustomToolCall``.

        A call to a custom tool created by the model.
        """

        type: Required[Literal["custom"]]
        id: Required[str]
        """The ID of the tool call."""
        custom: Required[
            ChatCompletionMessageCustomToolCallCustomParam | ChatCompletionMessageCustomToolCallCustom
        ]
        """The custom tool that the model called."""

    class ChatCompletionMessageToolCallParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionMessageToolCall``.

        A call to a function tool created by the model.
        """

        type: Required[Literal["function"]]
        id: Required[str]
        """The ID of the tool call."""
        function: Required[ChatCompletionMessageToolCallFunctionParam | ChatCompletionMessageToolCallFunction]
        """The function that the model called."""

    class ChatCompletionNamedToolChoiceParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionNamedToolChoice``.

        Specifies a tool the model should use. Use to force the model to call a specific function.
        """

        type: Required[Literal["function"]]
        function: Required[ChatCompletionNamedToolChoiceFunctionParam | ChatCompletionNamedToolChoiceFunction]

    class ChatCompletionNamedToolChoiceCustomParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionNamedToolChoiceCustom``.

        Specifies a tool the model should use. Use to force the model to call a specific custom tool.
        """

        type: Required[Literal["custom"]]
        custom: Required[
            ChatCompletionNamedToolChoiceCustomCustomParam | ChatCompletionNamedToolChoiceCustomCustom
        ]

    class ChatCompletionContentPartInputAudioParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartInputAudio``.

        Learn about [audio inputs](/docs/guides/audio).
        """

        type: Required[Literal["input_audio"]]
        input_audio: Required[
            ChatCompletionContentPartInputAudioInputAudioParam | ChatCompletionContentPartInputAudioInputAudio
        ]
        prompt_cache_breakpoint: PromptCacheBreakpointParam | PromptCacheBreakpoint

    class ChatCompletionContentPartFileParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartFile``.

        Learn about [file inputs](/docs/guides/text) for text generation.
        """

        type: Required[Literal["file"]]
        file: Required[ChatCompletionContentPartFileFileParam | ChatCompletionContentPartFileFile]
        prompt_cache_breakpoint: PromptCacheBreakpointParam | PromptCacheBreakpoint

    class ChatCompletionContentPartImageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartImage``.

        Learn about [image inputs](/docs/guides/vision).
        """

        type: Required[Literal["image_url"]]
        image_url: Required[
            ChatCompletionContentPartImageImageUrlParam | ChatCompletionContentPartImageImageUrl
        ]
        prompt_cache_breakpoint: PromptCacheBreakpointParam | PromptCacheBreakpoint

    class ChatCompletionContentPartTextParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionContentPartText``.

        Learn about [text inputs](/docs/guides/text-generation).
        """

        type: Required[Literal["text"]]
        text: Required[str]
        """The text content."""
        prompt_cache_breakpoint: PromptCacheBreakpointParam | PromptCacheBreakpoint

    class FunctionObjectParam(TypedDict, total=False):
        """The dict form of ``FunctionObject``."""

        name: Required[str]
        """The name of the function to be called. Must be a-z, A-Z, 0-9, or contain underscores and dashes, with a maximum length of 64."""
        description: str
        """A description of what the function does, used by the model to choose when and how to call the function."""
        parameters: Mapping[str, object]
        strict: bool | None

    class ModerationConfigParam(TypedDict, total=False):
        """The dict form of ``ModerationConfig``.

        The moderation policy for the response input.
        """

        mode: Required[ModerationMode]

    class ModerationPolicyParam(TypedDict, total=False):
        """The dict form of ``ModerationPolicy``.

        The policy to apply to moderated response input and output.
        """

        input: ModerationConfigParam | ModerationConfig | None
        output: ModerationConfigParam | ModerationConfig | None

    class PromptCacheOptionsParam(TypedDict, total=False):
        """The dict form of ``PromptCacheOptions``.

        Options for prompt caching. Supported for `gpt-5.6` and later models. By default, OpenAI automatically chooses one implicit cache breakpoint. You can add explicit breakpoints to content blocks with `prompt_cache_breakpoint`. Each request can write up to four breakpoints. For cache matching, OpenAI considers up to the latest 80 breakpoints in the conversation, without a content-block lookback limit. Set `mode` to `explicit` to disable the implicit breakpoint. The `ttl` defaults to `30m`, which is currently the only supported value. See the [prompt caching guide](/docs/guides/prompt-caching) for current details.
        """

        ttl: PromptCacheTTLEnum
        """The minimum lifetime applied to every implicit and explicit cache breakpoint written by the request. Defaults to `30m`, which is currently the only supported value. The backend may retain cache entries for longer."""
        mode: PromptCacheModeEnum
        """Controls whether OpenAI automatically creates an implicit cache breakpoint. Defaults to `implicit`. With `implicit`, OpenAI creates one implicit breakpoint and writes up to the latest three explicit breakpoints in the request. With `explicit`, OpenAI does not create an implicit breakpoint and writes up to the latest four explicit breakpoints. If there are no explicit breakpoints, the request does not use prompt caching."""

    class ResponseFormatJsonSchemaParam(TypedDict, total=False):
        """The dict form of ``ResponseFormatJsonSchema``.

        JSON Schema response format. Used to generate structured JSON responses.
        Learn more about [Structured Outputs](/docs/guides/structured-outputs).
        """

        type: Required[Literal["json_schema"]]
        json_schema: Required[JsonSchemaParam | JsonSchema]
        """Structured Outputs configuration options, including a JSON Schema."""

    class WebSearchOptionsParam(TypedDict, total=False):
        """The dict form of ``WebSearchOptions``."""

        user_location: WebSearchOptionsUserLocationParam | WebSearchOptionsUserLocation | None
        """Approximate location parameters for the search."""
        search_context_size: WebSearchContextSize

    class ChatCompletionAudioParam(TypedDict, total=False):
        """The dict form of ``CreateChatCompletionRequestAudio``."""

        voice: Required[VoiceIdsOrCustomVoiceParam]
        """The voice the model uses to respond. Supported built-in voices are
        `alloy`, `ash`, `ballad`, `coral`, `echo`, `fable`, `nova`, `onyx`,
        `sage`, `shimmer`, `marin`, and `cedar`. You may also provide a
        custom voice object with an `id`, for example `{ "id": "voice_1234" }`.
        """
        format: Required[Literal["wav", "aac", "mp3", "flac", "opus", "pcm16"]]
        """Specifies the output audio format. Must be one of `wav`, `mp3`, `flac`,
        `opus`, or `pcm16`.
        """

    class ChatCompletionCustomToolCustomFormatGrammarFormatParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionCustomToolCustomFormatGrammarFormat``."""

        type: Required[Literal["grammar"]]
        grammar: Required[
            ChatCompletionCustomToolCustomFormatGrammarFormatGrammarParam
            | ChatCompletionCustomToolCustomFormatGrammarFormatGrammar
        ]
        """Your chosen grammar."""

    class ChatCompletionToolParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionTool``.

        A function tool that can be used to generate a response.
        """

        type: Required[Literal["function"]]
        function: Required[FunctionObjectParam | FunctionObject]

    class ModerationParam(TypedDict, total=False):
        """The dict form of ``Moderation``.

        Configuration for running moderation on the input and output of this response.
        """

        model: Required[str]
        """The moderation model to use for moderated completions, e.g. 'omni-moderation-latest'."""
        policy: ModerationPolicyParam | ModerationPolicy | None

    class ChatCompletionDeveloperMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionDeveloperMessage``.

        Developer-provided instructions that the model should follow, regardless of
        messages sent by the user. With o1 models and newer, `developer` messages
        replace the previous `system` messages.
        """

        role: Required[Literal["developer"]]
        content: Required[ChatCompletionDeveloperMessageContentParam]
        """The contents of the developer message."""
        name: str
        """An optional name for the participant. Provides the model information to differentiate between participants of the same role."""

    class ChatCompletionSystemMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionSystemMessage``.

        Developer-provided instructions that the model should follow, regardless of
        messages sent by the user. With o1 models and newer, use `developer` messages
        for this purpose instead.
        """

        role: Required[Literal["system"]]
        content: Required[ChatCompletionSystemMessageContentParam]
        """The contents of the system message."""
        name: str
        """An optional name for the participant. Provides the model information to differentiate between participants of the same role."""

    class ChatCompletionToolMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionToolMessage``."""

        role: Required[Literal["tool"]]
        content: Required[ChatCompletionToolMessageContentParam]
        """The contents of the tool message."""
        tool_call_id: Required[str]
        """Tool call that this message is responding to."""

    class ChatCompletionUserMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionUserMessage``.

        Messages sent by an end user, containing prompts or additional context
        information.
        """

        role: Required[Literal["user"]]
        content: Required[ChatCompletionUserMessageContentParam]
        """The contents of the user message."""
        name: str
        """An optional name for the participant. Provides the model information to differentiate between participants of the same role."""

    class ChatCompletionPredictionContentParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionPredictionContent``.

        Static predicted output content, such as the content of a text file that is
        being regenerated.
        """

        type: Required[Literal["content"]]
        """The type of the predicted content you want to provide. This type is
        currently always `content`.
        """
        content: Required[ChatCompletionPredictionContentContentParam]
        """The content that should be matched when generating a model response.
        If generated tokens would match this content, the entire model response
        can be returned much more quickly.
        """

    class ChatCompletionCustomToolCustomParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionCustomToolCustom``."""

        name: Required[str]
        """The name of the custom tool, used to identify it in tool calls."""
        description: str
        """Optional description of the custom tool, used to provide more context."""
        format: ChatCompletionCustomToolCustomFormatParam
        """The input format for the custom tool. Default is unconstrained text."""

    class ChatCompletionAssistantMessageParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionAssistantMessage``.

        Messages sent by the model in response to user messages.
        """

        role: Required[Literal["assistant"]]
        content: ChatCompletionAssistantMessageContentParam | None
        refusal: str | None
        name: str
        """An optional name for the participant. Provides the model information to differentiate between participants of the same role."""
        audio: ChatCompletionAssistantMessageAudioParam | ChatCompletionAssistantMessageAudio | None
        tool_calls: Sequence[ChatCompletionMessageToolCallUnionParam]
        function_call: (
            ChatCompletionAssistantMessageFunctionCallParam
            | ChatCompletionAssistantMessageFunctionCall
            | None
        )

    class ChatCompletionCustomToolParam(TypedDict, total=False):
        """The dict form of ``ChatCompletionCustomTool``.

        A custom tool that processes input using a specified format.
        """

        type: Required[Literal["custom"]]
        custom: Required[ChatCompletionCustomToolCustomParam | ChatCompletionCustomToolCustom]
        """Properties of the custom tool."""

else:  # a TypedDict makes a plain dict
    ChatCompletionAllowedToolsParam = dict
    ChatCompletionAllowedToolChoiceParam = dict
    ChatCompletionFunctionCallOptionParam = dict
    ChatCompletionFunctionMessageParam = dict
    ChatCompletionContentPartRefusalParam = dict
    ChatCompletionStreamOptionsParam = dict
    PromptCacheBreakpointParam = dict
    ResponseFormatJsonObjectParam = dict
    ResponseFormatTextParam = dict
    WebSearchLocationParam = dict
    ChatCompletionMessageCustomToolCallCustomParam = dict
    ChatCompletionMessageToolCallFunctionParam = dict
    ChatCompletionNamedToolChoiceFunctionParam = dict
    ChatCompletionNamedToolChoiceCustomCustomParam = dict
    ChatCompletionAssistantMessageAudioParam = dict
    ChatCompletionAssistantMessageFunctionCallParam = dict
    ChatCompletionContentPartInputAudioInputAudioParam = dict
    ChatCompletionContentPartFileFileParam = dict
    ChatCompletionContentPartImageImageUrlParam = dict
    WebSearchOptionsUserLocationParam = dict
    ChatCompletionCustomToolCustomFormatTextFormatParam = dict
    ChatCompletionCustomToolCustomFormatGrammarFormatGrammarParam = dict
    JsonSchemaParam = dict
    CustomVoiceParam = dict
    ChatCompletionFunctionsParam = dict
    ChatCompletionMessageCustomToolCallParam = dict
    ChatCompletionMessageToolCallParam = dict
    ChatCompletionNamedToolChoiceParam = dict
    ChatCompletionNamedToolChoiceCustomParam = dict
    ChatCompletionContentPartInputAudioParam = dict
    ChatCompletionContentPartFileParam = dict
    ChatCompletionContentPartImageParam = dict
    ChatCompletionContentPartTextParam = dict
    FunctionObjectParam = dict
    ModerationConfigParam = dict
    ModerationPolicyParam = dict
    PromptCacheOptionsParam = dict
    ResponseFormatJsonSchemaParam = dict
    WebSearchOptionsParam = dict
    ChatCompletionAudioParam = dict
    ChatCompletionCustomToolCustomFormatGrammarFormatParam = dict
    ChatCompletionToolParam = dict
    ModerationParam = dict
    ChatCompletionDeveloperMessageParam = dict
    ChatCompletionSystemMessageParam = dict
    ChatCompletionToolMessageParam = dict
    ChatCompletionUserMessageParam = dict
    ChatCompletionPredictionContentParam = dict
    ChatCompletionCustomToolCustomParam = dict
    ChatCompletionAssistantMessageParam = dict
    ChatCompletionCustomToolParam = dict


ResponseModalitiesParam: TypeAlias = Sequence[Literal["text", "audio"]] | None
"""The dict form of ``ResponseModalities``."""

CreateChatCompletionRequestFunctionCallParam: TypeAlias = (
    Literal["none", "auto"] | ChatCompletionFunctionCallOptionParam | ChatCompletionFunctionCallOption
)
"""The dict form of ``CreateChatCompletionRequestFunctionCall``."""

ChatCompletionSystemMessageContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam | ChatCompletionContentPartText
)
"""The dict form of ``ChatCompletionSystemMessageContentPart``."""

ChatCompletionToolMessageContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam | ChatCompletionContentPartText
)
"""The dict form of ``ChatCompletionToolMessageContentPart``."""

ChatCompletionContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam
    | ChatCompletionContentPartText
    | ChatCompletionContentPartImageParam
    | ChatCompletionContentPartImage
    | ChatCompletionContentPartInputAudioParam
    | ChatCompletionContentPartInputAudio
    | ChatCompletionContentPartFileParam
    | ChatCompletionContentPartFile
)
"""The dict form of ``ChatCompletionContentPart``."""

ChatCompletionToolChoiceObjectParam: TypeAlias = (
    ChatCompletionAllowedToolChoiceParam
    | ChatCompletionAllowedToolChoice
    | ChatCompletionNamedToolChoiceParam
    | ChatCompletionNamedToolChoice
    | ChatCompletionNamedToolChoiceCustomParam
    | ChatCompletionNamedToolChoiceCustom
)
"""The dict form of ``ChatCompletionToolChoiceObject``."""

ChatCompletionToolChoiceOptionParam: TypeAlias = (
    Literal["none", "auto", "required"] | ChatCompletionToolChoiceObjectParam
)
"""The dict form of ``ChatCompletionToolChoiceOption``."""

StopConfigurationParam: TypeAlias = str | Sequence[str] | None
"""The dict form of ``StopConfiguration``."""

VoiceIdsOrCustomVoiceParam: TypeAlias = VoiceIdsShared | CustomVoiceParam | CustomVoice
"""The dict form of ``VoiceIdsOrCustomVoice``."""

ChatCompletionMessageToolCallUnionParam: TypeAlias = (
    ChatCompletionMessageToolCallParam
    | ChatCompletionMessageToolCall
    | ChatCompletionMessageCustomToolCallParam
    | ChatCompletionMessageCustomToolCall
)
"""The dict form of ``ChatCompletionMessageToolCallUnion``."""

CreateChatCompletionRequestResponseFormatParam: TypeAlias = (
    ResponseFormatTextParam
    | ResponseFormatText
    | ResponseFormatJsonSchemaParam
    | ResponseFormatJsonSchema
    | ResponseFormatJsonObjectParam
    | ResponseFormatJsonObject
)
"""The dict form of ``CreateChatCompletionRequestResponseFormat``."""

ChatCompletionAssistantMessageContentPartParam: TypeAlias = (
    ChatCompletionContentPartTextParam
    | ChatCompletionContentPartText
    | ChatCompletionContentPartRefusalParam
    | ChatCompletionContentPartRefusal
)
"""The dict form of ``ChatCompletionAssistantMessageContentPart``."""

ChatCompletionDeveloperMessageContentParam: TypeAlias = (
    str | Sequence[ChatCompletionContentPartTextParam | ChatCompletionContentPartText]
)
"""The dict form of ``ChatCompletionDeveloperMessageContent``."""

ChatCompletionSystemMessageContentParam: TypeAlias = (
    str | Sequence[ChatCompletionSystemMessageContentPartParam]
)
"""The dict form of ``ChatCompletionSystemMessageContent``."""

ChatCompletionToolMessageContentParam: TypeAlias = str | Sequence[ChatCompletionToolMessageContentPartParam]
"""The dict form of ``ChatCompletionToolMessageContent``."""

ChatCompletionUserMessageContentParam: TypeAlias = str | Sequence[ChatCompletionContentPartParam]
"""The dict form of ``ChatCompletionUserMessageContent``."""

ChatCompletionCustomToolCustomFormatParam: TypeAlias = (
    ChatCompletionCustomToolCustomFormatTextFormatParam
    | ChatCompletionCustomToolCustomFormatTextFormat
    | ChatCompletionCustomToolCustomFormatGrammarFormatParam
    | ChatCompletionCustomToolCustomFormatGrammarFormat
)
"""The dict form of ``ChatCompletionCustomToolCustomFormat``."""

ChatCompletionPredictionContentContentParam: TypeAlias = (
    str | Sequence[ChatCompletionContentPartTextParam | ChatCompletionContentPartText]
)
"""The dict form of ``ChatCompletionPredictionContentContent``."""

ChatCompletionAssistantMessageContentParam: TypeAlias = (
    str | Sequence[ChatCompletionAssistantMessageContentPartParam]
)
"""The dict form of ``ChatCompletionAssistantMessageContent``."""

ChatCompletionMessageParam: TypeAlias = (
    ChatCompletionDeveloperMessageParam
    | ChatCompletionDeveloperMessage
    | ChatCompletionSystemMessageParam
    | ChatCompletionSystemMessage
    | ChatCompletionUserMessageParam
    | ChatCompletionUserMessage
    | ChatCompletionAssistantMessageParam
    | ChatCompletionAssistantMessage
    | ChatCompletionToolMessageParam
    | ChatCompletionToolMessage
    | ChatCompletionFunctionMessageParam
    | ChatCompletionFunctionMessage
)
"""The dict form of ``ChatCompletionRequestMessage``."""

ChatCompletionToolUnionParam: TypeAlias = (
    ChatCompletionToolParam | ChatCompletionTool | ChatCompletionCustomToolParam | ChatCompletionCustomTool
)
"""The dict form of ``ChatCompletionToolUnion``."""


class CreateChatCompletionParams(TypedDict, total=False):
    """The fields of ``CreateChatCompletionRequest`` as keyword arguments; every key is optional here."""

    metadata: Mapping[str, str] | None
    temperature: float | None
    top_p: float | None
    user: str
    """This field is being replaced by `safety_identifier` and `prompt_cache_key`. Use `prompt_cache_key` instead to maintain caching optimizations.
    A stable identifier for your end-users.
    Used to boost cache hit rates by better bucketing similar requests and  to help OpenAI detect and prevent abuse. [Learn more](/docs/guides/safety-best-practices#safety-identifiers).
    """
    safety_identifier: str | None
    prompt_cache_key: str | None
    prompt_cache_retention: Literal["in_memory", "24h"] | None
    prompt_cache_options: PromptCacheOptionsParam | PromptCacheOptions
    top_logprobs: int | None
    """An integer between 0 and 20 specifying the maximum number of most likely
    tokens to return at each token position, each with an associated log
    probability. In some cases, the number of returned tokens may be fewer than
    requested.
    `logprobs` must be set to `true` if this parameter is used.
    """
    model: ModelIdsShared
    """Model ID used to generate the response, like `gpt-4o` or `o3`. OpenAI
    offers a wide range of models with different capabilities, performance
    characteristics, and price points. Refer to the [model guide](/docs/models)
    to browse and compare available models.
    """
    service_tier: ServiceTier
    modalities: ResponseModalitiesParam
    verbosity: Verbosity
    reasoning_effort: ReasoningEffort
    max_completion_tokens: int | None
    """An upper bound for the number of tokens that can be generated for a completion, including visible output tokens and [reasoning tokens](/docs/guides/reasoning)."""
    frequency_penalty: float | None
    """Number between -2.0 and 2.0. Positive values penalize new tokens based on
    their existing frequency in the text so far, decreasing the model's
    likelihood to repeat the same line verbatim.
    """
    presence_penalty: float | None
    """Number between -2.0 and 2.0. Positive values penalize new tokens based on
    whether they appear in the text so far, increasing the model's likelihood
    to talk about new topics.
    """
    web_search_options: WebSearchOptionsParam | WebSearchOptions
    """This tool searches the web for relevant results to use in a response.
    Learn more about the [web search tool](/docs/guides/tools-web-search?api-mode=chat).
    """
    audio: ChatCompletionAudioParam | CreateChatCompletionRequestAudio | None
    """Parameters for audio output. Required when audio output is requested with
    `modalities: ["audio"]`. [Learn more](/docs/guides/audio).
    """
    store: bool | None
    """Whether or not to store the output of this chat completion request for
    use in our [model distillation](/docs/guides/distillation) or
    [evals](/docs/guides/evals) products.

    Supports text and image inputs. Note: image inputs over 8MB will be dropped.
    """
    moderation: ModerationParam | Moderation | None
    stop: StopConfigurationParam | None
    logit_bias: Mapping[str, int] | None
    """Modify the likelihood of specified tokens appearing in the completion.

    Accepts a JSON object that maps tokens (specified by their token ID in the
    tokenizer) to an associated bias value from -100 to 100. Mathematically,
    the bias is added to the logits generated by the model prior to sampling.
    The exact effect will vary per model, but values between -1 and 1 should
    decrease or increase likelihood of selection; values like -100 or 100
    should result in a ban or exclusive selection of the relevant token.
    """
    logprobs: bool | None
    """Whether to return log probabilities of the output tokens or not. If true,
    returns the log probabilities of each output token returned in the
    `content` of `message`.
    """
    max_tokens: int | None
    """The maximum number of [tokens](/tokenizer) that can be generated in the
    chat completion. This value can be used to control
    [costs](https://openai.com/api/pricing/) for text generated via API.

    This value is now deprecated in favor of `max_completion_tokens`, and is
    not compatible with [o-series models](/docs/guides/reasoning).
    """
    n: int | None
    """How many chat completion choices to generate for each input message. Note that you will be charged based on the number of generated tokens across all of the choices. Keep `n` as `1` to minimize costs."""
    prediction: ChatCompletionPredictionContentParam | ChatCompletionPredictionContent | None
    """Configuration for a [Predicted Output](/docs/guides/predicted-outputs),
    which can greatly improve response times when large parts of the model
    response are known ahead of time. This is most common when you are
    regenerating a file with only minor changes to most of the content.
    """
    seed: int | None
    """This feature is in Beta.
    If specified, our system will make a best effort to sample deterministically, such that repeated requests with the same `seed` and parameters should return the same result.
    Determinism is not guaranteed, and you should refer to the `system_fingerprint` response parameter to monitor changes in the backend.
    """
    tool_choice: ChatCompletionToolChoiceOptionParam
    parallel_tool_calls: bool
    function_call: CreateChatCompletionRequestFunctionCallParam
    """Deprecated in favor of `tool_choice`.

    Controls which (if any) function is called by the model.

    `none` means the model will not call a function and instead generates a
    message.

    `auto` means the model can pick between generating a message or calling a
    function.

    Specifying a particular function via `{"name": "my_function"}` forces the
    model to call that function.

    `none` is the default when no functions are present. `auto` is the default
    if functions are present.
    """
    functions: Sequence[ChatCompletionFunctionsParam | ChatCompletionFunctions]
    """Deprecated in favor of `tools`.

    A list of functions the model may generate JSON inputs for.
    """


CREATE_CHAT_COMPLETION_KEYWORD_EXCLUSIONS: Mapping[str, str] = {
    "messages": "the conversation is create()'s first, positional argument",
    "stream": "whether the answer streams is chosen by the method called, not by a keyword",
    "stream_options": "belongs with stream",
    "response_format": "the client types it: a Python type to parse the answer into, or a format",
    "tools": "the client types it: Python functions (tool(fn)) as well as tool objects",
}
"""The fields of ``CreateChatCompletionRequest`` that ``CreateChatCompletionParams`` leaves out, each with why it does."""


class UpdateChatCompletionParams(TypedDict, total=False):
    """The fields of ``UpdateChatCompletionRequest`` as keyword arguments; every key is optional here."""

    metadata: Mapping[str, str] | None


class ListChatCompletionsQueryParams(TypedDict, total=False):
    """The query parameters of ``listChatCompletions`` as keyword arguments."""

    model: str
    """The model used to generate the Chat Completions."""
    metadata: Mapping[str, str]
    """A list of metadata keys to filter the Chat Completions by. Example: `metadata[key1]=value1&metadata[key2]=value2`"""
    after: str
    """Identifier for the last chat completion from the previous pagination request."""
    limit: int
    """Number of Chat Completions to retrieve."""
    order: Literal["asc", "desc"]
    """Sort order for Chat Completions by timestamp. Use `asc` for ascending order or `desc` for descending order. Defaults to `asc`."""


class GetChatCompletionMessagesQueryParams(TypedDict, total=False):
    """The query parameters of ``getChatCompletionMessages`` as keyword arguments."""

    after: str
    """Identifier for the last message from the previous pagination request."""
    limit: int
    """Number of messages to retrieve."""
    order: Literal["asc", "desc"]
    """Sort order for messages by timestamp. Use `asc` for ascending order or `desc` for descending order. Defaults to `asc`."""
