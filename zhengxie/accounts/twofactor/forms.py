from django import forms


class CodeForm(forms.Form):
    code = forms.CharField(
        label="动态验证码",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "numeric", "size": 12}
        ),
        error_messages={"required": "请输入验证码。"},
    )
